//! Shared by the `admin_api_*` tests: a real gateway on an ephemeral port and a small client.
#![allow(dead_code)]

pub mod process;

use gwctl::gateway::server::{RunningGateway, ServeOptions, start};
use http::HeaderMap;
use reqwest::Method;
use serde_json::Value;

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub gateway: RunningGateway,
    pub token: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: HeaderMap,
}

impl Reply {
    pub fn revision(&self) -> u64 {
        self.headers["etag"]
            .to_str()
            .unwrap()
            .trim_matches('"')
            .parse()
            .unwrap()
    }
}

impl Api {
    pub async fn start() -> Api {
        Api::start_with(ServeOptions::ephemeral()).await
    }

    pub async fn start_with(options: ServeOptions) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let token = options.admin_token.clone();
        let gateway = start(options).await.expect("gateway starts");
        Api {
            base: format!("http://{}", gateway.admin_addr),
            client: reqwest::Client::new(),
            gateway,
            token,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut builder = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            builder = builder.header("Kong-Admin-Token", token);
        }
        builder
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Reply {
        let response = builder.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            text,
            headers,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut builder = self.request(method, path);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        self.send(builder).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }
    /// A POST with a raw body of the given content type (forms, multipart, malformed JSON…).
    pub async fn post_as(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let request = self.request(Method::POST, path);
        self.send(request.header("content-type", content_type).body(body))
            .await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }
}
