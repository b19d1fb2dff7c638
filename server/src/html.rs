//! The server's few HTML pages share this: escaping and the page around a body.

use axum::response::Html;

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole page: `head` is extra markup for the head (already escaped), `body` the
/// page's content (already escaped).
pub fn page(title: &str, head: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{head}
<style>{STYLE}</style>
</head><body>{body}</body></html>"#,
        title = escape(title),
    ))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d2a33;overflow-wrap:anywhere}img{max-width:100%;height:auto}\
code{word-break:break-all;background:#eef2f4;padding:0 .2em}.meta{color:#4a5a66}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d5dde2;vertical-align:top}\
form.inline{display:inline}button{font:inherit;padding:.2rem .7rem}input,select{font:inherit;padding:.2rem}\
.error{color:#a4161a}.notice{color:#1b5e20}@media(prefers-color-scheme:dark){body{background:#11181d;color:#e3e9ed}code{background:#24313a}.meta{color:#9fb0bc}}";
