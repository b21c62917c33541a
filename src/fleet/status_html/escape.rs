//! Everything on the page comes from repositories (names, owners, paths, errors, URLs) and is
//! untrusted: text and attribute values are escaped, and a link is written only for an `http(s)`
//! URL, so no value can open a tag, close an attribute or run as `javascript:`.

use std::fmt::Write;

/// `text` escaped for HTML text and for a double- or single-quoted attribute value.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline have no place on the page; the
            // replacement character shows that something was there.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `url` when it is an absolute `http://` or `https://` URL with a host and nothing that could
/// end an attribute or hide a scheme (whitespace, controls, quotes, angle brackets, backslashes);
/// `None` otherwise, and the value is then shown as text, never as a link.
pub fn http_url(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    let clean = url
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && !"\"'<>\\`".contains(c));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (clean && !host.is_empty()).then_some(url)
}

/// `<a href="URL">TEXT</a>` for an http(s) `url`, else `TEXT` alone; both escaped.
pub fn link(url: Option<&str>, text: &str) -> String {
    let mut out = String::new();
    match url.and_then(http_url) {
        Some(u) => {
            let _ = write!(
                out,
                "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                html(u),
                html(text)
            );
        }
        None => out.push_str(&html(text)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            html("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(html("a\u{0}b\u{1b}[31m"), "a\u{fffd}b\u{fffd}[31m");
        assert_eq!(html("tab\tnew\nline"), "tab\tnew\nline");
    }

    #[test]
    fn only_http_and_https_urls_become_links() {
        for good in [
            "https://github.com/acme/orders",
            "HTTPS://GitHub.com/acme/orders",
            "http://127.0.0.1:8080/acme/orders?x=1#y",
        ] {
            assert_eq!(http_url(good), Some(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "/srv/git/orders",
            "file:///etc/passwd",
            "https://",
            "https:///path",
            "https://host/\"onmouseover=\"alert(1)",
            "https://host/'x",
            "https://host/<script>",
            "https://host/a b",
            "https://host/\nx",
            "https:\\\\evil.example",
            "http",
            "",
        ] {
            assert_eq!(http_url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_link_escapes_its_text_and_refuses_a_script_url() {
        assert_eq!(
            link(Some("javascript:alert(1)"), "<b>x</b>"),
            "&lt;b&gt;x&lt;/b&gt;"
        );
        assert_eq!(
            link(Some("https://h/a?b=1&c=2"), "o'r"),
            "<a href=\"https://h/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">o&#39;r</a>"
        );
        assert_eq!(link(None, "\"quoted\""), "&quot;quoted&quot;");
    }
}
