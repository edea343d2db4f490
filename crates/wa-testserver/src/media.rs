//! WhatsApp's media servers, as an HTTP client the test's clients use: an upload (`POST
//! https://HOST/mms/TYPE/TOKEN?auth=..`) is kept under a direct path and answered as the media
//! server does (JSON with `url` and `direct_path`); a download (`GET` of that URL or of
//! `https://HOST` + direct path) gets the bytes back. Everything else is a 404: no request
//! leaves the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use whatsapp_rust::async_trait;
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse};

/// The media host the server's `<media_conn>` names.
pub(crate) const HOST: &str = "media.test";

/// The stored media, by direct path (the encrypted bytes, as uploaded).
#[derive(Debug, Default, Clone)]
pub struct MediaStore(Arc<Mutex<HashMap<String, Vec<u8>>>>);

impl MediaStore {
    /// How many files were uploaded.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether nothing was uploaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl HttpClient for MediaStore {
    async fn execute(&self, request: HttpRequest) -> whatsapp_rust::anyhow::Result<HttpResponse> {
        let not_found = HttpResponse {
            status_code: 404,
            body: Vec::new(),
        };
        let Some(rest) = request.url.strip_prefix(&format!("https://{HOST}")) else {
            return Ok(not_found);
        };
        let path = rest.split('?').next().unwrap_or(rest);
        let mut files = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match request.method.as_str() {
            // A resumable upload's check: nothing to resume.
            "POST" if rest.contains("resume=1") => Ok(not_found),
            "POST" if path.starts_with("/mms/") => {
                let token = path.rsplit('/').next().unwrap_or_default();
                let direct_path = format!("/v/t62/{token}");
                files.insert(
                    direct_path.clone(),
                    request.body.map(|b| b.to_vec()).unwrap_or_default(),
                );
                let json = format!(
                    "{{\"url\":\"https://{HOST}{direct_path}?ccb=1\",\"direct_path\":\"{direct_path}\"}}"
                );
                Ok(HttpResponse {
                    status_code: 200,
                    body: json.into_bytes(),
                })
            }
            "GET" => Ok(files.get(path).map_or(not_found, |body| HttpResponse {
                status_code: 200,
                body: body.clone(),
            })),
            _ => Ok(not_found),
        }
    }
}
