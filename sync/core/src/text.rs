//! Text formats people write and read: an event's Markdown description rendered
//! to sanitised HTML (for the apps and the Fediverse), HTML from elsewhere (a
//! remote event's description) turned into Markdown that keeps its meaning,
//! and HTML turned into plain text (a reply, a report).

/// Markdown to HTML, sanitised (no scripts, no styles, links open outside).
pub fn markdown_to_html(text: &str) -> String {
    let parser =
        pulldown_cmark::Parser::new_ext(text, pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

/// What of incoming HTML becomes Markdown: structure, emphasis, links and
/// quotes; everything else is dropped with its markup (its text kept), and
/// `script`/`style` with their content.
const KEPT_TAGS: &[&str] = &[
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "del",
    "s",
    "a",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "code",
    "pre",
    "img",
    "hr",
];

/// HTML from elsewhere (a Mobilizon or Gancio event's description) to Markdown
/// that keeps its meaning: paragraphs, line breaks, emphasis, links with their
/// targets, lists, headings, quotes and code. It is cleaned first (ammonia:
/// only those tags, links only to http, https and mailto), then converted
/// (`htmd`); an image becomes a link to it (Rally shows no remote pictures in
/// text). What Rally renders of it goes through [`markdown_to_html`]'s
/// sanitising again.
pub fn html_to_markdown(html: &str) -> String {
    let cleaned = ammonia::Builder::empty()
        .add_tags(KEPT_TAGS)
        .add_tag_attributes("a", &["href"])
        .add_tag_attributes("img", &["src", "alt"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(None)
        .clean(html)
        .to_string();
    use htmd::options::{BrStyle, BulletListMarker, HrStyle, Options};
    let converter = htmd::HtmlToMarkdown::builder()
        // What Rally's editor writes: `-` lists, `\` line breaks, `---` rules.
        .options(Options {
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            br_style: BrStyle::Backslash,
            hr_style: HrStyle::Dashes,
            ..Options::default()
        })
        .add_handler(
            vec!["img"],
            |_: &dyn htmd::element_handler::Handlers, img: htmd::Element| {
                let attr = |name: &str| {
                    img.attrs
                        .iter()
                        .find(|a| &*a.name.local == name)
                        .map(|a| a.value.to_string())
                };
                let src = attr("src")
                    .filter(|s| s.starts_with("https://") || s.starts_with("http://"))?;
                let alt = attr("alt").filter(|a| !a.trim().is_empty());
                let label = alt
                    .unwrap_or_else(|| "image".to_owned())
                    .replace(['[', ']'], "");
                Some(format!("[{label}]({src})").into())
            },
        )
        .build();
    match converter.convert(&cleaned) {
        // The HTML's new line after a `<br>` is not the next line's indent.
        Ok(markdown) => markdown.trim().replace("\\\n ", "\\\n"),
        // The converter cannot fail on what ammonia wrote; the text is kept.
        Err(_) => html_to_text(html),
    }
}

/// HTML to plain text: paragraphs and line breaks become new lines, every tag
/// goes, entities are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut spaced = String::with_capacity(html.len());
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if rest.starts_with("<br") || rest.starts_with("</li>") {
            spaced.push('\n');
        } else if ["</p>", "</h1>", "</h2>", "</h3>", "</blockquote>"]
            .iter()
            .any(|tag| rest.starts_with(tag))
        {
            spaced.push_str("\n\n");
        }
        let c = html[i..].chars().next().unwrap_or(' ');
        spaced.push(c);
        i += c.len_utf8();
    }
    let stripped = ammonia::Builder::empty().clean(&spaced).to_string();
    let decoded = stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let lines: Vec<&str> = decoded.lines().map(str::trim_end).collect();
    let mut out = lines.join("\n");
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html =
            markdown_to_html("**Bring** water <script>alert(1)</script> [map](https://osm.org)");
        assert!(html.contains("<strong>Bring</strong>"));
        assert!(!html.contains("script"));
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""));
    }

    #[test]
    fn html_becomes_markdown_that_keeps_its_meaning() {
        let md = html_to_markdown(
            "<p>Bring your <b>bike</b> and <em>water</em>.</p>\
             <p>Tickets: <a href=\"https://tickets.example/42\">here</a><br>Video: <a href=\"https://video.example/v\">a sample</a></p>\
             <ul><li>one</li><li>two</li></ul><h2>Route</h2><blockquote>Quoted</blockquote>\
             <p><img src=\"https://m.example/map.png\" alt=\"The map\"></p>",
        );
        for kept in [
            "**bike**",
            "*water*",
            "[here](https://tickets.example/42)",
            "[a sample](https://video.example/v)",
            "one",
            "two",
            "## Route",
            "> Quoted",
            "[The map](https://m.example/map.png)",
        ] {
            assert!(md.contains(kept), "{kept:?} in {md:?}");
        }
        assert!(!md.contains("!["), "no picture fetched from the text: {md}");
        let items: Vec<&str> = md
            .lines()
            .filter(|l| l.trim_start().starts_with(['*', '-']))
            .collect();
        assert_eq!(items.len(), 2, "a list of two: {md}");
    }

    #[test]
    fn hostile_html_is_still_cleaned_on_the_way_to_markdown() {
        let md = html_to_markdown(
            "<p onclick=\"x()\">Hi <script>alert(1)</script><style>p{}</style>\
             <a href=\"javascript:alert(1)\">click</a> <img src=\"data:image/png;base64,AAAA\">\
             <iframe src=\"https://evil.example\"></iframe></p>",
        );
        assert!(!md.contains("alert"), "{md}");
        assert!(!md.contains("javascript"), "{md}");
        assert!(!md.contains("data:"), "{md}");
        assert!(!md.contains("evil.example"), "{md}");
        assert!(!md.contains("p{}"), "{md}");
        assert!(md.contains("Hi"), "{md}");
        // And what Rally renders of it is sanitised again.
        assert!(!markdown_to_html(&md).contains("<script"));
    }

    /// What Rally's editor writes, rendered for the Fediverse and read back,
    /// is the same Markdown.
    #[test]
    fn markdown_to_html_and_back_is_stable() {
        for md in [
            "Bring **water** and *hats*.",
            "Tickets: [here](https://tickets.example/42)",
            "- one\n- two",
            "## Route\n\nFrom the square to the park.",
            "> Quoted words",
            "First paragraph.\n\nSecond paragraph.",
            "1. first\n2. second",
            "A line\\\nand the next",
        ] {
            let back = html_to_markdown(&markdown_to_html(md));
            assert_eq!(back, md, "through {:?}", markdown_to_html(md));
        }
    }

    #[test]
    fn html_becomes_plain_text() {
        let text = html_to_text(
            "<p><span class=\"h-card\"><a href=\"https://m.example/@bob\">@<span>bob</span></a></span> See you &amp; <b>friends</b> there!</p><p>Line<br>two &lt;3</p><script>x()</script>",
        );
        assert_eq!(text, "@bob See you & friends there!\n\nLine\ntwo <3");
    }
}
