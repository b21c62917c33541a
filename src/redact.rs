//! Keeping credentials and secret answers out of what goldpath records and prints.
//!
//! Two rules, both applied at the edges:
//! - A source URL is recorded without credentials ([`strip_credentials`]): git's credential
//!   helper, ssh-agent or `.netrc` supply them when a later `upgrade` or `check` fetches again.
//! - Every line goldpath prints goes through [`redact`], which removes credentials from any URL
//!   in it and replaces every secret value it was told about ([`remember`]) with `***`. Secret
//!   answers, values computed from them and the credentials of a `--from` URL are remembered when
//!   they are read, so a message built anywhere (a tera error, a path error, git's stderr) cannot
//!   show them.

use std::sync::Mutex;

/// What a removed secret is shown as.
pub const MASK: &str = "***";

/// Secrets shorter than this are not searched for in free text: replacing every `a` or `42` in
/// a message would garble it. goldpath never puts an answer of a secret question in a message
/// itself; this only bounds the safety net.
pub const MIN_SECRET_LEN: usize = 4;

/// Query parameters whose value is a credential (GitLab's `private_token`, OAuth's
/// `access_token`, signed URLs' `signature`...): a parameter whose lower-cased name contains one
/// of these is dropped from a recorded URL and masked in messages.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "key",
    "auth",
    "sig",
    "credential",
    "session",
];

/// Schemes where the user name of a URL is a login, not a credential (`ssh://git@host/x`): only
/// a password is removed. Over http(s) the user name is often the token itself
/// (`https://TOKEN@host`), so the whole user-info goes.
const LOGIN_SCHEMES: &[&str] = &["ssh", "git+ssh", "ssh+git"];

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers `secret` so that [`redact`] masks it wherever it appears, also as it is escaped in
/// a JSON string (`check --format json`) and in XML text (`--format junit`).
pub fn remember(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let xml = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for form in [secret.to_string(), json, xml] {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with the credentials of every URL in it removed and every remembered secret masked.
pub fn redact(text: &str) -> String {
    let mut out = redact_urls(text);
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

/// One URL split where credentials can hide.
struct Parts<'a> {
    /// Up to and including `://`.
    scheme: &'a str,
    /// The user-info before `@` (without the `@`), if any.
    userinfo: Option<&'a str>,
    /// Host, port and path.
    rest: &'a str,
    /// The query without its `?`, if any.
    query: Option<&'a str>,
    /// `#...`, kept as it is.
    fragment: &'a str,
}

fn split(url: &str) -> Option<Parts<'_>> {
    let colon = url.find("://")?;
    let (scheme, after) = url.split_at(colon + 3);
    let (before_fragment, fragment) = match after.find('#') {
        Some(i) => after.split_at(i),
        None => (after, ""),
    };
    let (main, query) = match before_fragment.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (before_fragment, None),
    };
    let authority_end = main.find('/').unwrap_or(main.len());
    let (userinfo, rest) = match main[..authority_end].rfind('@') {
        Some(at) => (Some(&main[..at]), &main[at + 1..]),
        None => (None, main),
    };
    Some(Parts {
        scheme,
        userinfo,
        rest,
        query,
        fragment,
    })
}

fn is_login_scheme(scheme: &str) -> bool {
    let name = scheme.trim_end_matches("://").to_ascii_lowercase();
    LOGIN_SCHEMES.contains(&name.as_str())
}

fn secret_param(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| name.contains(s))
}

/// The URL to record: no password, no user-info at all over http(s) and other non-ssh schemes
/// (the user name there is often the token), no query parameter that holds a credential.
/// Anything that is not a `scheme://` URL (a path, git's `user@host:path`) is returned as it is:
/// it cannot carry a password.
pub fn strip_credentials(url: &str) -> String {
    let Some(p) = split(url) else {
        return url.to_string();
    };
    let mut out = String::from(p.scheme);
    if let Some(userinfo) = p.userinfo {
        if is_login_scheme(p.scheme) {
            out.push_str(userinfo.split(':').next().unwrap_or(""));
            out.push('@');
        }
    }
    out.push_str(p.rest);
    if let Some(query) = p.query {
        let kept: Vec<&str> = query.split('&').filter(|q| !secret_param(q)).collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out.push_str(p.fragment);
    out
}

/// The credentials in `url` (user-info parts and secret query values), raw and
/// percent-decoded, for masking wherever else they may show up (git's stderr).
pub fn credentials_of(url: &str) -> Vec<String> {
    let Some(p) = split(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(userinfo) = p.userinfo {
        match userinfo.split_once(':') {
            Some((user, password)) => {
                if !is_login_scheme(p.scheme) {
                    out.push(user.to_string());
                }
                out.push(password.to_string());
            }
            None if !is_login_scheme(p.scheme) => out.push(userinfo.to_string()),
            None => {}
        }
    }
    for pair in p.query.unwrap_or("").split('&').filter(|q| secret_param(q)) {
        if let Some((_, value)) = pair.split_once('=') {
            out.push(value.to_string());
        }
    }
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    out.retain(|s| !s.is_empty());
    out.sort();
    out.dedup();
    out
}

/// `url` as it may be shown: its credentials replaced by [`MASK`], so a reader sees that there
/// were some.
pub fn mask_url(url: &str) -> String {
    let Some(p) = split(url) else {
        return url.to_string();
    };
    let mut out = String::from(p.scheme);
    if let Some(userinfo) = p.userinfo {
        if is_login_scheme(p.scheme) {
            match userinfo.split_once(':') {
                Some((user, _)) => out.push_str(&format!("{user}:{MASK}")),
                None => out.push_str(userinfo),
            }
        } else {
            out.push_str(MASK);
        }
        out.push('@');
    }
    out.push_str(p.rest);
    if let Some(query) = p.query {
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if secret_param(pair) => format!("{name}={MASK}"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&masked.join("&"));
    }
    out.push_str(p.fragment);
    out
}

/// Masks the credentials of every `scheme://` URL in `text` (a URL ends at white space or a
/// quote).
fn redact_urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The scheme: letters, digits, `+`, `-`, `.` just before `://`.
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |j| j + 1);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || "'\"`<>".contains(c))
            .map_or(rest.len(), |j| i + j);
        out.push_str(&rest[..start]);
        out.push_str(&mask_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_urls_carry_no_credentials() {
        let table = [
            ("https://user:TOKEN@host/repo.git", "https://host/repo.git"),
            ("https://TOKEN@host/repo.git", "https://host/repo.git"),
            (
                "https://oauth2:TOKEN@host:8443/g/r.git",
                "https://host:8443/g/r.git",
            ),
            (
                "https://host/r.git?private_token=TOKEN&ref=main",
                "https://host/r.git?ref=main",
            ),
            (
                "https://host/r.git?access_token=TOKEN",
                "https://host/r.git",
            ),
            ("ssh://git:TOKEN@host/r.git", "ssh://git@host/r.git"),
            ("ssh://git@host/r.git", "ssh://git@host/r.git"),
            ("git@github.com:acme/t.git", "git@github.com:acme/t.git"),
            ("/srv/t.git", "/srv/t.git"),
            // An `@` in the path is not user-info.
            ("https://host/a@b/r.git", "https://host/a@b/r.git"),
        ];
        for (given, recorded) in table {
            assert_eq!(strip_credentials(given), recorded, "{given}");
            assert!(!mask_url(given).contains("TOKEN"), "{given}");
        }
        assert_eq!(
            mask_url("https://oauth2:TOKEN@host/r.git?private_token=TOKEN"),
            "https://***@host/r.git?private_token=***"
        );
    }

    #[test]
    fn credentials_are_found_raw_and_decoded() {
        assert_eq!(
            credentials_of("https://me:p%40ss@host/r?access_token=T0K3N"),
            ["T0K3N", "me", "p%40ss", "p@ss"]
        );
        assert_eq!(credentials_of("ssh://git@host/r"), Vec::<String>::new());
    }

    #[test]
    fn text_is_redacted() {
        remember("hunter2-s3cret");
        remember("abc"); // too short to search for
        remember("a\"b<c>d");
        assert_eq!(
            redact(r#"{"v": "a\"b<c>d"} <v>a&quot;b&lt;c&gt;d</v>"#),
            r#"{"v": "***"} <v>***</v>"#
        );
        assert_eq!(
            redact("fatal: unable to access 'https://u:pw1234@127.0.0.1:9/r.git/': 401; key hunter2-s3cret, abc"),
            "fatal: unable to access 'https://***@127.0.0.1:9/r.git/': 401; key ***, abc"
        );
    }
}
