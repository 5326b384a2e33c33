<?php
/**
 * The ground truth: every published post as WordPress itself reports it through its API, as JSON, oldest first.
 * Nothing here comes from the archiver; tests/test_real_wordpress.py compares the archive with this.
 *
 * Run with php-cli (tests/wordpress/site.py does): WP_HTTP_HOST=127.0.0.1:PORT picks Debian's host config.
 */

require __DIR__ . '/load.php';

function decoded(string $html): string {
    return trim(html_entity_decode(wp_strip_all_tags($html), ENT_QUOTES | ENT_HTML5, 'UTF-8'));
}

function utc(WP_Post $post, string $field): string {
    return mysql2date('Y-m-d\TH:i:s\Z', $post->{"post_{$field}_gmt"}, false);  // WordPress's own UTC column
}

function terms(WP_Post $post, string $taxonomy): array {
    $terms = get_the_terms($post, $taxonomy);  // the order the themes print them in
    if (!is_array($terms)) {
        return [];
    }
    return array_map(fn($term) => ['name' => decoded($term->name), 'slug' => $term->slug,
                                   'url' => get_term_link($term)], $terms);
}

$posts = get_posts(['post_type' => 'post', 'post_status' => 'publish', 'numberposts' => -1, 'orderby' => 'date',
                    'order' => 'ASC', 'suppress_filters' => false]);
$out = [];
foreach ($posts as $post) {
    $author_id = (int) $post->post_author;
    $bio = decoded(get_the_author_meta('description', $author_id));
    preg_match_all('#<figcaption[^>]*>(.*?)</figcaption>#s', apply_filters('the_content', $post->post_content),
                   $captions);
    $thumbnail = get_post_thumbnail_id($post);
    $featured = $thumbnail ? ['url' => wp_get_attachment_url($thumbnail),
                              'caption' => decoded(wp_get_attachment_caption($thumbnail) ?: ''),
                              'alt' => get_post_meta($thumbnail, '_wp_attachment_image_alt', true)] : null;
    $out[] = [
        'id' => $post->ID,
        'permalink' => get_permalink($post),
        'title' => decoded(get_the_title($post)),
        'date' => mysql2date('Y-m-d\TH:i:s', $post->post_date, false),  // the site's own time (Europe/Berlin)
        'date_gmt' => utc($post, 'date'),
        'modified_gmt' => utc($post, 'modified'),
        'author' => [
            'id' => $author_id,
            'name' => decoded(get_the_author_meta('display_name', $author_id)),
            'bio' => $bio === '' ? null : $bio,
            'url' => get_author_posts_url($author_id),
            'slug' => get_the_author_meta('user_nicename', $author_id),
        ],
        'categories' => terms($post, 'category'),
        'tags' => terms($post, 'post_tag'),
        'featured' => $featured,
        // The featured image's caption first (the themes print the image above the text), then the figures'.
        'credits' => array_merge($featured && $featured['caption'] !== '' ? [$featured['caption']] : [],
                                 array_map('decoded', $captions[1])),
    ];
}
echo wp_json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
