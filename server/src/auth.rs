//! Login: one layer that yields a verified email, whatever the mode.
//!
//! * `dev`: `/auth/login` logs the browser in as the configured fixed user
//!   (the server refuses to listen on a non-loopback address in this mode).
//! * `header`: a trusted reverse proxy authenticates and sets a header to
//!   the email; the header is believed only from the configured proxy
//!   addresses, and every request carries it (no cookie).
//! * `oidc`: authorization code with PKCE against an OpenID Connect
//!   provider ([`crate::oidc`]); the email comes from the ID token or the
//!   userinfo endpoint and must be verified.
//!
//! Sessions (dev, oidc) are HMAC-signed HttpOnly SameSite=Lax cookies
//! holding the email and an expiry. Every state-changing POST carries an
//! `X-CSRF-Token` header derived from the email with the same key, which a
//! cross-site page can neither read nor send without a CORS preflight that
//! this server never grants.
//!
//! The user name is the email's local part, as in the original; the first
//! email to log in with a local part owns it, and a second email with the
//! same local part is refused rather than merged with the first.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::config::AuthMode;
use crate::error::{AppError, AppResult};
use crate::store::Claim;
use crate::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "rrd_session";

/// A logged-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The verified email.
    pub email: String,
    /// Its local part: the owner name in page URLs.
    pub name: String,
    /// The token this user's POSTs must carry in `X-CSRF-Token`.
    pub csrf: String,
}

/// Signs and checks session cookies and CSRF tokens.
#[derive(Clone)]
pub struct Sessions {
    key: Vec<u8>,
    lifetime: i64,
    secure: bool,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random bytes from the kernel, as hex.
pub fn random_hex(n: usize) -> std::io::Result<String> {
    use std::io::Read;
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(hex(&b))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

impl Sessions {
    /// Sessions signed with `key`, valid for `lifetime` seconds.
    pub fn new(key: Vec<u8>, lifetime: i64, secure: bool) -> Sessions {
        Sessions {
            key,
            lifetime,
            secure,
        }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// A cookie value logging `email` in until `now + lifetime`.
    pub fn mint(&self, email: &str, now: i64) -> String {
        let payload = format!("1|{}|{email}", now + self.lifetime);
        format!(
            "{}.{}",
            hex(payload.as_bytes()),
            hex(&self.mac(payload.as_bytes()))
        )
    }

    /// The email of a valid, unexpired cookie value.
    pub fn verify(&self, value: &str, now: i64) -> Option<String> {
        let payload = self.unsign(value)?;
        let mut parts = payload.splitn(3, '|');
        if parts.next()? != "1" {
            return None;
        }
        let expires: i64 = parts.next()?.parse().ok()?;
        let email = parts.next()?;
        (now < expires).then(|| email.to_string())
    }

    /// The CSRF token of `email`.
    pub fn csrf(&self, email: &str) -> String {
        hex(&self.mac(format!("csrf|{email}").as_bytes())[..16])
    }

    /// `data` with its MAC: sessions, and short-lived state (the OIDC
    /// round trip).
    pub fn sign(&self, data: &str) -> String {
        format!(
            "{}.{}",
            hex(data.as_bytes()),
            hex(&self.mac(data.as_bytes()))
        )
    }

    /// The data of a value made by [`Sessions::sign`].
    pub fn unsign(&self, value: &str) -> Option<String> {
        let (p, m) = value.split_once('.')?;
        let data = unhex(p)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(&data);
        mac.verify_slice(&unhex(m)?).ok()?;
        String::from_utf8(data).ok()
    }

    /// `Set-Cookie` for a session of `email`.
    pub fn set_cookie(&self, email: &str, now: i64) -> HeaderValue {
        self.cookie_header(COOKIE, &self.mint(email, now), self.lifetime)
    }

    /// `Set-Cookie` that ends the session.
    pub fn clear_cookie(&self) -> HeaderValue {
        self.cookie_header(COOKIE, "", 0)
    }

    /// `Set-Cookie` for `name=value` with this server's attributes.
    pub fn cookie_header(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        ))
        .expect("cookie values are hex")
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The local part of an email: the user's name.
pub fn local_part(email: &str) -> Option<&str> {
    let (local, domain) = email.rsplit_once('@')?;
    let ok = !local.is_empty()
        && !local.starts_with('.')
        && !domain.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b));
    ok.then_some(local)
}

impl AppState {
    /// The user a verified `email` logs in as, after the allowed-email
    /// pattern and the one-email-per-name rule.
    pub async fn admit(&self, email: &str) -> AppResult<User> {
        if !self.email_re.is_match(email) {
            return Err(AppError::Forbidden(format!(
                "{email} is not allowed to log in here"
            )));
        }
        let name = local_part(email)
            .ok_or_else(|| {
                AppError::Forbidden(format!(
                    "{email:?} is not an email address this server accepts"
                ))
            })?
            .to_string();
        let known = self
            .claimed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(email);
        if !known {
            let (n, e) = (name.clone(), email.to_string());
            match self.store_call(move |st| Ok(st.claim_user(&n, &e)?)).await? {
                Claim::Ok => {
                    self.claimed.lock().unwrap_or_else(|p| p.into_inner()).insert(email.to_string());
                }
                Claim::TakenBy(_) => {
                    return Err(AppError::Forbidden(format!(
                        "the user name {name} belongs to another email address; {email} cannot log in as {name}"
                    )))
                }
            }
        }
        Ok(User {
            csrf: self.sessions.csrf(email),
            email: email.to_string(),
            name,
        })
    }

    /// The user a request is from, if any.
    pub async fn user_of(&self, parts: &Parts) -> AppResult<User> {
        let email = match self.config.auth.mode {
            AuthMode::Header => {
                let peer = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip())
                    .ok_or(AppError::Unauthenticated)?;
                if !self.config.auth.trusted_proxies.contains(&peer) {
                    return Err(AppError::Forbidden(format!(
                        "requests must come through the login proxy; {peer} is not one"
                    )));
                }
                // a proxy that appends instead of replacing would let the
                // client's own copy come first: more than one is refused
                let mut values = parts
                    .headers
                    .get_all(self.config.auth.header.as_str())
                    .iter();
                let value = values.next();
                if values.next().is_some() {
                    return Err(AppError::Forbidden(format!(
                        "more than one {} header",
                        self.config.auth.header
                    )));
                }
                value
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .ok_or(AppError::Unauthenticated)?
                    .to_string()
            }
            AuthMode::Dev | AuthMode::Oidc => cookie(&parts.headers, COOKIE)
                .and_then(|c| self.sessions.verify(c, (self.clock)()))
                .ok_or(AppError::Unauthenticated)?,
        };
        self.admit(&email).await
    }
}

impl FromRequestParts<AppState> for User {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        state.user_of(parts).await
    }
}

/// A user for an HTML page: an unauthenticated browser is sent to the
/// login page and comes back afterwards.
#[derive(Debug)]
pub struct Viewer(pub User);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match state.user_of(parts).await {
            Ok(u) => Ok(Viewer(u)),
            Err(AppError::Unauthenticated) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                Err(Redirect::to(&format!(
                    "/auth/login?came_from={}",
                    crate::ui::url_encode(here)
                ))
                .into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Refuses a state-changing request that did not come from our own pages.
pub fn check_csrf(headers: &HeaderMap, user: &User) -> AppResult<()> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if token != Some(user.csrf.as_str()) {
        return Err(AppError::Forbidden("missing or wrong X-CSRF-Token".into()));
    }
    if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        let origin = origin.to_str().unwrap_or("");
        let host = host.to_str().unwrap_or("");
        let bare = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if bare != host {
            return Err(AppError::Forbidden(format!(
                "cross-site request from {origin}"
            )));
        }
    }
    Ok(())
}

/// A path to return to after login: only this site's own paths.
pub fn safe_return(came_from: Option<&str>) -> String {
    match came_from {
        // visible ASCII only: browsers drop tabs and newlines from URLs, so
        // "/\t/evil" would become "//evil"
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            p.to_string()
        }
        _ => "/metrics/".to_string(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    came_from: Option<String>,
}

/// `GET /auth/login`.
pub(crate) async fn login(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    let back = safe_return(q.came_from.as_deref());
    match state.config.auth.mode {
        AuthMode::Dev => {
            let email = state.config.auth.dev_email.clone();
            state.admit(&email).await?;
            let mut r = Redirect::to(&back).into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                state.sessions.set_cookie(&email, (state.clock)()),
            );
            Ok(r)
        }
        AuthMode::Header => Ok((
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This server trusts a login proxy: sign in through it.\n",
        )
            .into_response()),
        AuthMode::Oidc => crate::oidc::start(&state, &back).await,
    }
}

/// `GET /auth/logout`: ends the session.
pub(crate) async fn logout(State(state): State<AppState>) -> Response {
    let page = crate::ui::logged_out_page(state.config.auth.mode);
    let mut r = page.into_response();
    r.headers_mut()
        .insert(header::SET_COOKIE, state.sessions.clear_cookie());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_round_trip_and_refuse_tampering_and_expiry() {
        let s = Sessions::new(b"0123456789abcdef0123456789abcdef".to_vec(), 100, false);
        let c = s.mint("jim@example.com", 1000);
        assert_eq!(s.verify(&c, 1050).as_deref(), Some("jim@example.com"));
        assert_eq!(s.verify(&c, 1100), None, "expired");
        let other = Sessions::new(b"another key of thirty-two bytes!".to_vec(), 100, false);
        assert_eq!(other.verify(&c, 1050), None, "another key");
        let forged = format!(
            "{}.{}",
            hex(b"1|99999|boss@example.com"),
            c.split_once('.').unwrap().1
        );
        assert_eq!(s.verify(&forged, 1050), None, "forged payload");
        assert_eq!(s.verify("garbage", 0), None);
        assert_eq!(s.verify("zz.zz", 0), None);
        assert_ne!(s.csrf("a@b.c"), s.csrf("d@b.c"));
    }

    #[test]
    fn local_parts() {
        assert_eq!(local_part("jim@zope.com"), Some("jim"));
        assert_eq!(local_part("j.f-x+y@a.b"), Some("j.f-x+y"));
        assert_eq!(local_part("@zope.com"), None);
        assert_eq!(local_part("jim"), None);
        assert_eq!(local_part("../x@a.b"), None);
        assert_eq!(local_part("<script>@a.b"), None);
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return(Some("/metrics/jim/x/")), "/metrics/jim/x/");
        assert_eq!(safe_return(Some("//evil.com/")), "/metrics/");
        assert_eq!(safe_return(Some("https://evil.com/")), "/metrics/");
        assert_eq!(safe_return(Some("/\\evil.com")), "/metrics/");
        assert_eq!(safe_return(Some("/\t/evil.com")), "/metrics/");
        assert_eq!(safe_return(Some("/\n")), "/metrics/");
        assert_eq!(safe_return(None), "/metrics/");
    }
}
