<?php
/**
 * Fills a freshly installed WordPress with the same German news site every time (no randomness):
 * 6 authors (5 with a bio), 8 categories (3 nested), 10 tags, 30 posts in block markup, half of them with
 * a figure whose caption is an image credit, every fifth a featured image with a credit caption, dates over six years with several close to midnight in
 * Europe/Berlin (so the UTC date is another day).
 *
 * Run with php-cli (tests/wordpress/site.py does): WP_HTTP_HOST=127.0.0.1:PORT picks Debian's config
 * /etc/wordpress/config-127.0.0.1.php, WP_MEDIA_URL is where the test image is served.
 */

require __DIR__ . '/load.php';

$media = getenv('WP_MEDIA_URL') ?: home_url('/archiver-test-media');
wp_set_current_user(1);  // the administrator: block comments and figure markup pass unfiltered

// WordPress's own "Hello world!" post goes; its "Sample Page" stays (a page, not a post).
wp_delete_post(1, true);

$authors = [
    ['jweiss', 'Jürgen', 'Weiß', 'Jürgen Weiß', 'Jürgen schreibt seit 2009 über Netzpolitik & Datenschutz. Vorher war er Systemadministrator in einem Rechenzentrum in Frankfurt.'],
    ['aschroeder', 'Anna', 'Schröder', 'Anna Schröder', 'Anna ist Juristin und erklärt Urheberrecht, Abmahnungen und die Folgen der DSGVO.'],
    ['kmeyer', 'Katrin', 'Meyer', 'Katrin Meyer', 'Katrin berichtet über IT-Sicherheit, Ransomware und Hackerangriffe auf Behörden.'],
    ['tbauer', 'Thomas', 'Bauer', 'Thomas Bauer', 'Thomas testet Streaming-Dienste und Spiele – am liebsten nachts.'],
    ['lhoffmann', 'Lena', 'Hoffmann', 'Lena Hoffmann', 'Lena studierte Informatik in Aachen und schreibt über Wissenschaft, KI und „Open Source“.'],
    ['pkrause', 'Peter', 'Krause', 'Peter Krause', ''],
];
$author_ids = [];
foreach ($authors as [$login, $first, $last, $display, $bio]) {
    $id = wp_insert_user([
        'user_login' => $login, 'user_pass' => wp_generate_password(24), 'user_email' => "$login@example.org",
        'first_name' => $first, 'last_name' => $last, 'display_name' => $display, 'nickname' => $display,
        'description' => $bio, 'role' => 'author',
    ]);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    $author_ids[] = $id;
}

// name => [slug, parent name]
$categories = [
    'Netzpolitik' => ['netzpolitik', null],
    'Datenschutz' => ['datenschutz', 'Netzpolitik'],
    'Urheberrecht' => ['urheberrecht', 'Netzpolitik'],
    'Sicherheit' => ['sicherheit', null],
    'Malware' => ['malware', 'Sicherheit'],
    'Streaming' => ['streaming', null],
    'Gaming' => ['gaming', null],
    'Wissenschaft & Technik' => ['wissenschaft-technik', null],
];
$category_ids = [];
foreach ($categories as $name => [$slug, $parent]) {
    $term = wp_insert_term($name, 'category', ['slug' => $slug, 'parent' => $parent ? $category_ids[$parent] : 0]);
    $category_ids[$name] = $term['term_id'];
}
$category_names = array_keys($categories);

$tags = ['Piraterie', 'Künstliche Intelligenz', 'Überwachung', 'Open Source', 'Bitcoin', 'Phishing', 'DSGVO',
         'Netflix', 'Datenleck', 'Ransomware'];
foreach ($tags as $tag) {
    wp_insert_term($tag, 'post_tag');
}

$titles = [
    'Abmahnwelle rollt wieder: Kanzlei verschickt tausende Briefe',
    'Datenleck bei Online-Händler – 2 Mio. Kunden betroffen',
    '„Operation Zeitreise“: Polizei schaltet Streaming-Portal ab',
    'Ransomware legt Stadtverwaltung in Sachsen lahm',
    'Künstliche Intelligenz schreibt Schulaufsätze: Lehrer ratlos',
    'Bundesregierung plant Chatkontrolle light',
    'Phishing-Mails im Namen der Sparkasse: So erkennt man sie',
    'Neues Urteil zum Filesharing: Eltern haften nicht immer',
    'Warum Open Source in Behörden scheitert',
    'Bitcoin-Betrüger erbeuten 3 Millionen Euro',
    'Netflix erhöht Preise & sperrt geteilte Konten',
    'Überwachungskameras am Bahnhof: Was ist erlaubt?',
    'Gaming-Plattform verliert Nutzerdaten von 800.000 Spielern',
    'DSGVO-Bußgeld gegen Krankenkasse: 1,2 Mio. Euro',
    'Forscher knacken Verschlüsselung alter Router',
    'Streaming-Piraterie: Wer zahlt, wer schaut?',
    'Trojaner tarnt sich als Paket-App',
    'Urheberrecht: EU-Parlament stimmt über Uploadfilter ab',
    'Sicherheitslücke in beliebtem WordPress-Plugin',
    'Hacker veröffentlichen interne Mails eines Ministeriums',
    'Die „Cloud“ der Zukunft kommt aus Frankfurt',
    'Spieleentwickler klagen gegen Cheat-Anbieter',
    'Datenschützer warnt vor Gesichtserkennung im Supermarkt',
    'Krypto-Börse insolvent: Anleger bangen um Guthaben',
    'Quantencomputer: Wie sicher sind unsere Passwörter noch?',
    'Behörde zahlt Lösegeld – und bekommt die Daten nicht zurück',
    'Neue Regeln für Influencer: Werbung muss erkennbar sein',
    'Mit 95 Jahren ins Internet: Seniorin wird zum YouTube-Star',
    'Leak zeigt: Konzern wusste seit Jahren von der Lücke',
    'Zehn Jahre nach Snowden: Was hat sich geändert?',
];

// Local time in Europe/Berlin; the ones at 00:xx and 23:5x fall on another day in UTC (or stay, in winter at 23:xx).
$dates = [
    '2019-01-07 09:15:00', '2019-03-31 00:30:00', '2019-06-18 14:02:11', '2019-10-27 00:45:00',
    '2019-12-31 23:59:00', '2020-02-29 12:00:00', '2020-05-01 00:05:00', '2020-08-14 18:30:45',
    '2020-11-11 11:11:11', '2021-01-01 00:00:30', '2021-04-19 07:45:00', '2021-07-31 23:58:00',
    '2021-09-09 16:20:00', '2022-01-15 00:10:00', '2022-03-27 01:30:00', '2022-06-30 00:59:59',
    '2022-10-30 02:30:00', '2022-12-24 20:00:00', '2023-02-14 08:00:00', '2023-05-20 00:02:00',
    '2023-08-08 13:37:00', '2023-11-30 23:45:00', '2024-02-29 00:15:00', '2024-04-01 10:00:00',
    '2024-06-15 00:20:00', '2024-09-03 19:05:00', '2024-12-31 23:30:00', '2025-03-01 00:01:00',
    '2025-05-12 15:40:00', '2025-07-04 00:40:00',
];

$sentences = [
    'Die Ermittler gehen davon aus, dass die Täter seit Monaten unbemerkt im Netzwerk waren.',
    'Betroffene sollten ihre Passwörter ändern und die Zwei-Faktor-Authentifizierung einschalten.',
    'Ein Sprecher des Unternehmens wollte sich auf Nachfrage nicht zu den Vorwürfen äußern.',
    'Nach Angaben der Behörde wurden die Server in den Niederlanden und in Österreich beschlagnahmt.',
    'Datenschützer kritisieren, dass die Nutzer über das Ausmaß erst spät informiert wurden.',
    'Für Verbraucher ändert sich zunächst wenig, doch die Kosten dürften mittelfristig steigen.',
    'Das Landgericht München I sah darin einen klaren Verstoß gegen das Urheberrecht.',
    'Experten raten dazu, Updates möglichst schnell einzuspielen und Back-ups offline zu lagern.',
    'Die Software ist quelloffen und kann von jedem überprüft werden – genau das ist der Punkt.',
    'Ob die Maßnahme tatsächlich wirkt, ist unter Fachleuten umstritten.',
    'Im Gespräch mit unserer Redaktion schilderte ein Betroffener, wie schnell alles ging.',
    'Die Staatsanwaltschaft Köln hat ein Ermittlungsverfahren wegen gewerbsmäßigen Betrugs eingeleitet.',
];

$credits = [
    'Bildquelle: Max Muster, CC BY 2.0',
    'Foto: pixabay.com, Pixabay-Lizenz',
    'Symbolbild – Foto: Jan Vašek, Pixabay',
    'Grafik: Netzwelt-Redaktion',
    'Bild: Erik Mclean / Unsplash',
    'Der Serverraum in Frankfurt. Foto: Jürgen Weiß',
];

// Featured images (every fifth post): their captions carry the credit, as editors write them into the media
// library; Twenty Twenty-One prints the caption under the image, the block themes do not.
$featured_captions = [
    'Der Serverraum in Frankfurt. Foto: Jürgen Weiß',
    'Titelbild: Max Muster, CC BY 2.0',
    'Symbolbild – Foto: Jan Vašek, Pixabay',
    'Bild: Erik Mclean / Unsplash',
    'Grafik: Netzwelt-Redaktion',
    '',
];

function paragraph(string $text): string {
    return "<!-- wp:paragraph -->\n<p>$text</p>\n<!-- /wp:paragraph -->";
}

foreach ($titles as $n => $title) {
    $blocks = [];
    $count = 3 + $n % 3;
    for ($p = 0; $p < $count; $p++) {
        $blocks[] = paragraph($sentences[($n + $p * 5) % count($sentences)] . ' '
                              . $sentences[($n * 7 + $p) % count($sentences)]);
        if ($p === 1 && $n % 4 === 3) {
            $blocks[] = "<!-- wp:heading -->\n<h2 class=\"wp-block-heading\">Was Betroffene jetzt tun können</h2>\n<!-- /wp:heading -->";
        }
    }
    if ($n % 2 === 0) {
        $credit = $credits[($n / 2) % count($credits)];
        $figure = "<!-- wp:image {\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\"><img src=\"$media/bild.png\" alt=\"Symbolbild zum Artikel\"/><figcaption class=\"wp-element-caption\">"
                  . esc_html($credit) . "</figcaption></figure>\n<!-- /wp:image -->";
        array_splice($blocks, 1, 0, [$figure]);
    }
    $post_categories = [$category_ids[$category_names[$n % 8]]];
    if ($n % 3 === 1) {
        $post_categories[] = $category_ids[$category_names[($n + 3) % 8]];
    }
    if ($n % 5 === 2) {
        $post_categories[] = $category_ids[$category_names[($n + 5) % 8]];
    }
    $post_tags = [];
    for ($t = 0; $t < $n % 4; $t++) {
        $post_tags[] = $tags[($n * 3 + $t * 4) % count($tags)];
    }
    $date = $dates[$n];
    $id = wp_insert_post([
        'post_title' => $title, 'post_content' => implode("\n\n", $blocks), 'post_status' => 'publish',
        'post_type' => 'post', 'post_author' => $author_ids[$n % count($author_ids)], 'post_date' => $date,
        'post_category' => array_values(array_unique($post_categories)), 'tags_input' => $post_tags,
    ], true);
    if (is_wp_error($id)) {
        fwrite(STDERR, $id->get_error_message() . "\n");
        exit(1);
    }
    // Modified some days after publication, so it is fixed too (WordPress would say "now").
    $modified = date('Y-m-d H:i:s', strtotime($date . ' UTC') + 86400 * (1 + $n % 9) + 3600 * ($n % 5));
    $wpdb->update($wpdb->posts, ['post_modified' => $modified, 'post_modified_gmt' => get_gmt_from_date($modified)],
                  ['ID' => $id]);
    clean_post_cache($id);
    if ($n % 5 === 0) {
        // No file in the uploads directory: the attachment's URL is its GUID, the picture the fixture serves.
        $attachment = wp_insert_attachment([
            'post_title' => "Titelbild $n", 'post_excerpt' => $featured_captions[$n / 5], 'post_status' => 'inherit',
            'post_mime_type' => 'image/png', 'guid' => "$media/titelbild.png",
        ], false, $id, true);
        if (is_wp_error($attachment)) {
            fwrite(STDERR, $attachment->get_error_message() . "\n");
            exit(1);
        }
        // Without a file WordPress cannot tell it is an image: the "full" size says where and how large it is.
        $full = ['file' => 'titelbild.png', 'width' => 240, 'height' => 160, 'mime-type' => 'image/png'];
        wp_update_attachment_metadata($attachment, ['width' => 240, 'height' => 160, 'file' => 'titelbild.png',
                                                    'sizes' => ['full' => $full]]);
        update_post_meta($attachment, '_wp_attachment_image_alt', "Titelbild zum Artikel $n");
        if (!set_post_thumbnail($id, $attachment)) {
            fwrite(STDERR, "post $id: the featured image was not set\n");
            exit(1);
        }
    }
}
echo count($titles), " posts\n";
