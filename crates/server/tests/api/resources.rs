//! Calls the tests of the owned, versioned resources (items, agents) share:
//! JSON in and out, creates, conditional requests and page walks.

use crate::helpers::{TestApp, assert_problem, token};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

impl TestApp {
    /// Registers `email`, logs in and returns the access token.
    pub async fn access_token(&self, email: &str) -> String {
        token(&self.signed_in(email).await, "access_token")
    }

    /// The JSON body of `GET path` as `access`.
    pub async fn get_json(&self, path: &str, access: &str) -> Value {
        self.get(path, Some(access)).await.json().await.unwrap()
    }

    /// The JSON body of the answer to `method path` with `body` as `access`.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        access: &str,
    ) -> Value {
        self.send(method, path, body, access)
            .await
            .json()
            .await
            .unwrap()
    }

    /// Creates a resource in `collection` (`/api/v1/items`), asserting 201;
    /// returns its body.
    pub async fn create(&self, collection: &str, access: &str, body: &Value) -> Value {
        let response = self.post_json(collection, body, Some(access)).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    /// `method path` as `access` with one precondition header
    /// (`if-match`, `if-none-match`) and no body.
    pub async fn conditional(
        &self,
        method: Method,
        path: &str,
        access: &str,
        (header, tag): (&str, &str),
    ) -> Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(access)
            .header(header, tag)
            .send()
            .await
            .unwrap()
    }

    /// Every row of the list at `path` (which has a query), following
    /// `next_cursor` to the last page; `between` runs after each page.
    pub async fn walk_pages(
        &self,
        path: &str,
        access: &str,
        mut between: impl AsyncFnMut(),
    ) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut next = path.to_owned();
        loop {
            let response = self.get(&next, Some(access)).await;
            assert_eq!(response.status(), StatusCode::OK, "{next}");
            let page: Value = response.json().await.unwrap();
            rows.extend(page["data"].as_array().unwrap().iter().cloned());
            between().await;
            match page["next_cursor"].as_str() {
                Some(cursor) => next = format!("{path}&cursor={cursor}"),
                None => return rows,
            }
        }
    }
}

/// The path of `resource` in `collection`: `{collection}/{id}`.
pub fn resource_path(collection: &str, resource: &Value) -> String {
    format!("{collection}/{}", resource["id"].as_str().unwrap())
}

/// The `name` of each row.
pub fn names(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|row| row["name"].as_str().unwrap().to_owned())
        .collect()
}

/// How many rows a page holds.
pub fn row_count(page: &Value) -> usize {
    page["data"].as_array().unwrap().len()
}

/// Asserts a 412 `precondition_failed`: `If-Match` named another version.
pub async fn assert_precondition_failed(response: Response) {
    assert_problem(
        response,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
}
