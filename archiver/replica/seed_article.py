"""The seed article (tests/fixtures/seed-article.md and seed.txt), typed in by hand from the seed text.

The replica places it at its publication date (14 March 2019) in the article sequence.
"""

from __future__ import annotations

SEED_TITLE = "Telegram gewinnt aufgrund von Facebook-Ausfall drei Mio. neue Nutzer"
SEED_SLUG = "telegram-gewinnt-aufgrund-von-facebook-ausfall-drei-mio-neue-nutzer"
SEED_AUTHOR_ID = 14  # Antonia
SEED_PUBLISHED_LOCAL = "2019-03-14T14:21:07"
SEED_PRIMARY = "internet"
SEED_SECONDARY = ["netzpolitik"]
SEED_TAGS = ["telegram", "whatsapp", "zensur"]
SEED_LEAD_ALT = "Telegram"
SEED_LEAD_CAPTION = "Telegram"
SEED_CREDIT_LINE = "Foto LoboStudioHamburg, thx! (Pixabay Lizenz)"
SEED_CREDIT_CREATOR = "LoboStudioHamburg"
SEED_CREDIT_LICENSE = "Pixabay Lizenz"

SEED_LEAD = (
    "Wegen des Ausfalls des Facebook Messengers & WhatsApp sind innerhalb eines Tages drei Millionen "
    "User zum Messenger Telegram gewechselt."
)

# ("p", text) paragraphs, ("h2", text) sub-headings, ("figure", caption) the inline image.
SEED_BLOCKS: list[tuple[str, str]] = [
    ("p", SEED_LEAD),
    ("p", "Als am 14. März weltweit der Facebook Messenger, WhatsApp und Instagram für mehrere Stunden "
          "ausfiel, ging Telegram als Gewinner dieser Situation hervor. Telegram Gründer und CEO Pavel Durov "
          "gab auf seinem Telegram-Channel bekannt, dass sie innerhalb von 24 Stunden drei Millionen neue "
          "User verzeichnen konnten."),
    ("h2", "Telegram-Gründer Pawel Durov jubelt"),
    ("p", "„Wir bieten echte Privatsphäre und genügend Platz für alle“, begrüßte Durov erfreut die "
          "Neuzugänge. Seinen Messengerdienst nutzen global über 200 Millionen Personen, weit weniger als den "
          "Konkurrenten WhatsApp. Während Facebook sich über Werbeeinnahmen finanziert, setzt Durov auf "
          "Userspenden. Telegram punktet mit geheimen Chats, zweistufiger Anmeldung und einer "
          "Ende-zu-Ende-Verschlüsselung bei geheimen Chats. Allerdings gibt es auch Grund zur Annahme, dass "
          "sich deutsche Behörden Zugang zu Chatverläufen verschaffen können. Das ist möglich, sofern man die "
          "Ende-zu-Ende-Verschlüsselung bei Chats nicht aktiviert."),
    ("h2", "Juristische Probleme für Betreiber in Russland"),
    ("p", "Vergangenen April wurde Durovs Dienst Telegram aufgrund seiner Weigerung, mit den Behörden zu "
          "kooperieren, in Russland per Gerichtsbeschluss blockiert. Durov kam deren Forderungen hinsichtlich "
          "einer Herausgabe von Verschlüsselungscodes und Benutzerinformationen nicht nach. Er verwies "
          "diesbezüglich auf die Gewährleistung der Privatsphäre und der Kundenrechte. Durov hält das "
          "Ansinnen der Behörde für verfassungswidrig."),
    ("figure", "Telegram"),
    ("p", "Erst am vergangenen Wochenende demonstrierten Tausende von Menschen, darunter auch Pavel Durov, in "
          "Moskau gegen eine zunehmende Internetzensur. Sie wehren sich insbesondere gegen einen angekündigten "
          "Gesetzentwurf, wonach russische Datenströme künftig nicht mehr über Server im Ausland geleitet "
          "werden sollen. Die Regierung plant ein rein russisches Netz, was man voll und ganz unter Kontrolle "
          "haben würde. Da passt Telegram überhaupt nicht ins Bild."),
    ("h2", "Tarnkappe.info mit eigener Gruppe bei Telegram"),
    ("p", "Von Tarnkappe.info gibt es bei Telegram auch eine öffentliche Gruppe, in der sich unsere "
          "Leserinnen und Leser ungezwungen über alle möglichen technischen Belange austauschen können."),
]
