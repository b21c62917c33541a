//! The one HTTP client of the forges: JSON over ureq (rustls), every request through the host's
//! [`Governor`], the token sent only in the `Authorization` header and masked in any message a
//! forge sends back.

use super::governor::{Failure, Governor};
use super::{Error, Token};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// What goldpath says it is; GitHub refuses requests without a User-Agent.
pub const USER_AGENT: &str = concat!("goldpath/", env!("CARGO_PKG_VERSION"));

/// A forge's answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The URL of the next page (`Link: <...>; rel="next"`), as GitHub and GitLab paginate.
    pub fn next_page(&self) -> Option<String> {
        let link = self.header("link")?;
        link.split(',').find_map(|part| {
            let (url, params) = part.split_once(';')?;
            params
                .split(';')
                .any(|p| p.trim().replace(' ', "") == "rel=\"next\"")
                .then(|| {
                    url.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_string()
                })
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

pub struct Client {
    agent: ureq::Agent,
    token: Token,
    governor: Arc<Governor>,
    /// Sent with every request (GitHub's `Accept` and API version).
    extra_headers: Vec<(&'static str, &'static str)>,
}

impl Client {
    pub fn new(
        token: Token,
        governor: Arc<Governor>,
        extra_headers: Vec<(&'static str, &'static str)>,
    ) -> Client {
        Client {
            agent: shared_agent(),
            token,
            governor,
            extra_headers,
        }
    }

    /// Sends one request (a JSON body for all but GET) and returns the reply, whatever its
    /// status, once the governor no longer asks to retry it.
    pub fn send(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Reply, Error> {
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mutating = method != Method::Get;
        let reply = self
            .governor
            .run(mutating, || self.once(method, url, &bytes))
            .map_err(|e| self.mask_error(e))?;
        Ok(reply)
    }

    /// Like [`Client::send`], and a status other than 2xx is an error naming the forge's message.
    pub fn json(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(Value, Reply), Error> {
        let reply = self.send(method, url, body)?;
        let value = self.value(method, url, &reply)?;
        Ok((value, reply))
    }

    /// The JSON of a `reply` to `method url` ([`Client::send`]); a status other than 2xx is an
    /// error naming the forge's message, an empty body `null`.
    pub fn value(&self, method: Method, url: &str, reply: &Reply) -> Result<Value, Error> {
        if !reply.is_success() {
            return Err(self.api_error(method, url, reply));
        }
        if reply.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&reply.body).map_err(|e| Error::BadResponse {
            method: method.as_str(),
            url: url.to_string(),
            message: format!("not JSON ({e})"),
        })
    }

    fn once(&self, method: Method, url: &str, body: &str) -> Result<Reply, Failure> {
        let fail = |e: ureq::Error| Failure {
            retry: may_heal(&e),
            error: Error::Transport {
                method: method.as_str(),
                url: url.to_string(),
                message: self.mask(&e.to_string()),
            },
        };
        let auth = format!("Bearer {}", self.token.expose());
        macro_rules! headers {
            ($req:expr) => {{
                let mut req = $req.header("Authorization", &auth);
                for (k, v) in &self.extra_headers {
                    req = req.header(*k, *v);
                }
                req
            }};
        }
        let result = match method {
            Method::Get => headers!(self.agent.get(url)).call(),
            Method::Post => headers!(self.agent.post(url))
                .header("Content-Type", "application/json")
                .send(body),
            Method::Put => headers!(self.agent.put(url))
                .header("Content-Type", "application/json")
                .send(body),
            Method::Patch => headers!(self.agent.patch(url))
                .header("Content-Type", "application/json")
                .send(body),
        };
        let mut response = result.map_err(fail)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(8 * 1024 * 1024)
            .read_to_string()
            .map_err(fail)?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// The error for a reply that is not 2xx: the forge's own message, masked and cut short.
    pub fn api_error(&self, method: Method, url: &str, reply: &Reply) -> Error {
        Error::Api {
            method: method.as_str(),
            url: url.to_string(),
            status: reply.status,
            message: self.mask(&forge_message(&reply.body)),
        }
    }

    /// `text` with the token (and any other remembered secret) replaced by `***`: a forge, or
    /// anything between it and us, may echo a header back.
    pub fn mask(&self, text: &str) -> String {
        let secret = self.token.expose();
        let text = if secret.is_empty() {
            text.to_string()
        } else {
            text.replace(secret, crate::redact::MASK)
        };
        crate::redact::redact(&text)
    }

    fn mask_error(&self, e: Error) -> Error {
        match e {
            Error::GaveUp {
                host,
                attempts,
                last,
            } => Error::GaveUp {
                host,
                attempts,
                last: self.mask(&last),
            },
            other => other,
        }
    }
}

/// One agent for the whole process: its connections to a forge are kept alive from one
/// repository to the next, and the system's trust store is read once, not once per repository.
fn shared_agent() -> ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT
        .get_or_init(|| {
            ureq::Agent::config_builder()
                // 4xx and 5xx are answers to read (a 422 "already exists", a 403 rate limit).
                .http_status_as_error(false)
                .user_agent(USER_AGENT)
                .timeout_global(Some(Duration::from_secs(60)))
                .timeout_connect(Some(Duration::from_secs(15)))
                // The system's trust store (and `SSL_CERT_FILE`), not only Mozilla's roots: a GitHub
                // Enterprise or a self-hosted GitLab often has a certificate from the company's own
                // authority, installed on its machines.
                .tls_config(
                    ureq::tls::TlsConfig::builder()
                        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                        .build(),
                )
                .build()
                .into()
        })
        .clone()
}

/// Whether sending again may get an answer: a connection refused, reset or cut, a timeout. Not a
/// host that does not resolve (a mistyped `--forge-url`), a certificate the system does not
/// trust (rustls' errors arrive as `InvalidData`), or a malformed answer.
fn may_heal(e: &ureq::Error) -> bool {
    use std::io::ErrorKind::*;
    match e {
        ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ConnectionRefused
                | ConnectionReset
                | ConnectionAborted
                | BrokenPipe
                | TimedOut
                | UnexpectedEof
                | Interrupted
                | NotConnected
        ),
        _ => false,
    }
}

/// The message of a forge's error body: GitHub's `message` and `errors[].message`, GitLab's
/// `message` (a string, a list or an object of lists) or `error`; else the start of the body.
pub fn forge_message(body: &str) -> String {
    let text = match serde_json::from_str::<Value>(body) {
        Ok(value) => {
            let mut parts = Vec::new();
            for key in ["message", "error"] {
                collect_strings(&value[key], &mut parts);
            }
            if let Some(errors) = value["errors"].as_array() {
                for e in errors {
                    collect_strings(&e["message"], &mut parts);
                    if let Some(s) = e.as_str() {
                        parts.push(s.to_string());
                    }
                }
            }
            parts.join("; ")
        }
        Err(_) => body.to_string(),
    };
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                let mut inner = Vec::new();
                collect_strings(v, &mut inner);
                if !inner.is_empty() {
                    out.push(format!("{k}: {}", inner.join(", ")));
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forge_error_messages() {
        assert_eq!(
            forge_message(
                r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for acme:goldpath/x."}]}"#
            ),
            "Validation Failed; A pull request already exists for acme:goldpath/x."
        );
        assert_eq!(
            forge_message(
                r#"{"message":["Another open merge request already exists for this source branch: !7"]}"#
            ),
            "Another open merge request already exists for this source branch: !7"
        );
        assert_eq!(
            forge_message(r#"{"message":{"title":["is too long"]}}"#),
            "title: is too long"
        );
        assert_eq!(
            forge_message("<html>\nBad gateway</html>"),
            "<html> Bad gateway</html>"
        );
        assert_eq!(forge_message(&"x".repeat(500)).chars().count(), 301);
    }

    #[test]
    fn follows_link_headers() {
        let reply = Reply {
            status: 200,
            headers: vec![(
                "link".into(),
                r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next""#.into(),
            )],
            body: String::new(),
        };
        assert_eq!(
            reply.next_page().as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        assert_eq!(
            Reply {
                headers: vec![],
                ..reply
            }
            .next_page(),
            None
        );
    }
}
