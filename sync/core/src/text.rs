//! Text formats people write and read: an event's Markdown description rendered
//! to sanitised HTML (for the apps and the Fediverse), and HTML from elsewhere
//! (a Fediverse reply, a remote event) turned into plain text.

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
    fn html_becomes_plain_text() {
        let text = html_to_text(
            "<p><span class=\"h-card\"><a href=\"https://m.example/@bob\">@<span>bob</span></a></span> See you &amp; <b>friends</b> there!</p><p>Line<br>two &lt;3</p><script>x()</script>",
        );
        assert_eq!(text, "@bob See you & friends there!\n\nLine\ntwo <3");
    }
}
