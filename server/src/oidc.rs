//! OpenID Connect login (authorization code with PKCE).
//!
//! Not built yet: a configuration with `auth.mode = "oidc"` is refused at
//! start-up with a message naming the alternatives, and the callback route
//! answers 404.

use axum::extract::State;
use axum::response::Response;

use crate::config::OidcConfig;
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The relying party.
#[derive(Debug)]
pub struct Client {
    _config: OidcConfig,
}

impl Client {
    /// Refuses: OpenID Connect is not built yet.
    pub fn new(config: OidcConfig) -> anyhow::Result<Client> {
        anyhow::bail!(
            "OpenID Connect login (issuer {}) is not built into this rrd-server yet: use auth.mode = \"header\" \
             behind a login proxy (such as Apache's mod_auth_openidc or oauth2-proxy), or \"dev\" on loopback",
            config.issuer
        )
    }
}

/// Sends the browser to the provider.
pub(crate) async fn start(state: &AppState, _back: &str) -> AppResult<Response> {
    match &state.oidc {
        Some(_) => Err(AppError::NotFound(
            "OpenID Connect login is not built yet".into(),
        )),
        None => Err(AppError::NotFound(
            "no OpenID Connect login is configured".into(),
        )),
    }
}

/// `GET /auth/callback`.
pub(crate) async fn callback(State(_state): State<AppState>) -> AppResult<Response> {
    Err(AppError::NotFound(
        "no OpenID Connect login is configured".into(),
    ))
}
