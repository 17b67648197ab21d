//! The HTTP interface (axum): routes, the bearer-token check, JSON bodies that
//! refuse unknown fields, and errors as JSON. `openapi.json` beside this file
//! describes it and is served as it is.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::environments::Server;
use crate::error::ApiError;
use crate::spec::{EnvironmentSpec, LifetimePatch, valid_name};
use crate::tokens::{Scope, Token};

/// The `OpenAPI` description of this interface.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The page at `/`.
pub const PAGE: &str = include_str!("page.html");

/// The router, with the body limit and the timeout.
pub fn router(server: Arc<Server>) -> Router {
    let max_body = server.config.max_body;
    let timeout = server.config.request_timeout;
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(healthz))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/environments", get(list))
        .route(
            "/v1/environments/{name}",
            get(show).put(apply).patch(extend).delete(delete),
        )
        .route("/v1/events", get(crate::stream::events))
        .route("/v1/environments/{name}/logs", get(crate::stream::logs))
        .route(
            "/v1/environments/{name}/run",
            axum::routing::post(crate::stream::run),
        )
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_route",
                "no such route (see /v1/openapi.json)",
            )
        })
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(axum::middleware::map_response(json_errors))
        .with_state(server)
}

/// Errors made by the layers (413, 408, 405) become JSON like the others.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.starts_with("application/json")
                || value.starts_with("text/event-stream")
                || value.starts_with("text/html")
                || value.starts_with("text/plain; charset=utf-8; stream")
        });
    if is_json || status.is_success() {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(status, "too_large", "the request body is too large")
        }
        StatusCode::REQUEST_TIMEOUT => {
            ApiError::new(status, "timeout", "the request took too long")
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "this route does not take that method",
        ),
        _ if status.is_client_error() || status.is_server_error() => ApiError::new(
            status,
            "error",
            status.canonical_reason().unwrap_or("error"),
        ),
        _ => return response,
    };
    error.into_response()
}

/// A JSON body, read (too large: 413) but parsed only once the token is checked:
/// malformed JSON is 400 `malformed_json`, a body that does not fit (an unknown
/// field, a wrong type) 400 `invalid_request`.
pub struct Body(pub Bytes);

impl Body {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.0).map_err(|error| {
            use serde_json::error::Category;
            match error.classify() {
                Category::Syntax | Category::Eof | Category::Io => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not JSON: {error}"),
                ),
                Category::Data => ApiError::bad_request(format!("the body does not fit: {error}")),
            }
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        "the request body is too large",
                    )
                } else {
                    ApiError::bad_request(rejection.body_text())
                }
            })?;
        Ok(Body(bytes))
    }
}

/// The caller's token, checked for `scope`: 401 without a known one, 403 without
/// the scope.
pub fn authorize(server: &Server, headers: &HeaderMap, scope: Scope) -> Result<Token, ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized =
        |message: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned());
    let Some(presented) = presented else {
        return Err(unauthorized(
            "a bearer token is needed (Authorization: Bearer TOKEN)",
        ));
    };
    let Some(token) = server.config.tokens.find(presented) else {
        return Err(unauthorized("unknown token"));
    };
    if !token.scopes.allows(scope) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token has no `{}` scope", scope.name()),
        ));
    }
    Ok(token.clone())
}

pub fn check_name(name: &str) -> Result<(), ApiError> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "invalid environment name `{name}`: expected [a-z0-9][a-z0-9_-]{{0,62}}"
        )))
    }
}

async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE)
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// `KEY` or `KEY=VALUE`: environments whose containers carry that label.
    label: Option<String>,
}

async fn list(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    authorize(&server, &headers, Scope::Read)?;
    let mut views = server.list().await?;
    if let Some(filter) = &query.label {
        let (key, value) = match filter.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (filter.as_str(), None),
        };
        views.retain(|view| {
            view.labels
                .get(key)
                .is_some_and(|found| value.is_none_or(|value| found == value))
        });
    }
    Ok(Json(serde_json::json!({ "environments": views })).into_response())
}

async fn show(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&server, &headers, Scope::Read)?;
    check_name(&name)?;
    match server.get(&name).await? {
        Some(view) => Ok(Json(view).into_response()),
        None => Err(ApiError::not_found(&name)),
    }
}

async fn apply(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let token = authorize(&server, &headers, Scope::Write)?;
    check_name(&name)?;
    let spec: EnvironmentSpec = body.parse()?;
    let applied = server.apply(&name, spec, &token).await?;
    Ok((applied.status, Json(applied.view)).into_response())
}

async fn extend(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let token = authorize(&server, &headers, Scope::Write)?;
    check_name(&name)?;
    let patch: LifetimePatch = body.parse()?;
    Ok(Json(server.extend(&name, &patch.ttl, &token).await?).into_response())
}

async fn delete(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let token = authorize(&server, &headers, Scope::Write)?;
    check_name(&name)?;
    server.delete(&name, Some(&token), "deleted", false).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "name": name, "state": "deleting" })),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The description is JSON and names every route the router serves.
    #[test]
    fn openapi_describes_every_route() {
        let description: serde_json::Value = serde_json::from_str(OPENAPI).expect("JSON");
        assert_eq!(description["openapi"], "3.0.3");
        let paths = description["paths"].as_object().expect("paths");
        for (path, methods) in [
            ("/healthz", &["get"][..]),
            ("/v1/openapi.json", &["get"]),
            ("/v1/environments", &["get"]),
            (
                "/v1/environments/{name}",
                &["get", "put", "patch", "delete"],
            ),
            ("/v1/environments/{name}/logs", &["get"]),
            ("/v1/environments/{name}/run", &["post"]),
            ("/v1/events", &["get"]),
        ] {
            for method in methods {
                assert!(paths[path].get(*method).is_some(), "{method} {path}");
            }
        }
    }
}
