//! WebSocket connections leave the HTTP/1 dispatcher once upgraded.
//!
//! actix-http keeps a connection's HTTP/1 dispatcher, with its 8 KiB read
//! and 8 KiB write buffer, for as long as the connection lives — also an
//! upgraded one, whose frames it would pass through: two thirds of an idle
//! WebSocket's memory. So the server gives HTTP/1 an *upgrade service*
//! ([`upgrades`]): a request asking for a WebSocket comes to it together
//! with its socket. It runs the request through the same application as
//! every other request (routing, middleware, authentication). A WebSocket
//! handler answers `101` with a [`Takeover`] in the response's extensions;
//! the service writes the response head and runs the connection on the
//! bare socket ([`super::socket`]). Any other answer (a 401, a 429, a 404)
//! is written as it is and the connection closed.

use super::socket::Upgraded;
use crate::AppFactory;
use actix_codec::{Framed, FramedParts};
use actix_http::body::BodySize;
use actix_http::h1::{Codec, Message};
use actix_http::{ConnectionType, Request, Response, StatusCode};
use actix_service::{
    IntoServiceFactory, Service, ServiceFactory, fn_factory, fn_service, map_config,
};
use actix_web::body::BoxBody;
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::{App, HttpMessage, HttpResponse};
use futures_util::SinkExt;
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;
use tokio::net::TcpStream;

/// A WebSocket connection waiting for its socket: a handler puts it in
/// the extensions of its `101` response, and [`upgrades`] runs it once
/// the response head is written. Dropped unrun, it lets go of whatever it
/// holds (the connection's hub registration, through its drop).
pub struct Takeover(Box<dyn FnOnce(Upgraded) -> LocalBoxFuture<'static, ()>>);

impl Takeover {
    /// The connection `run` serves on the socket it is given.
    pub fn new<F, Fut>(run: F) -> Self
    where
        F: FnOnce(Upgraded) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        Self(Box::new(move |upgraded| Box::pin(run(upgraded))))
    }
}

/// A socket as the HTTP/1 dispatcher hands it over, with its codec.
pub type UpgradeRequest = (Request, Framed<TcpStream, Codec>);

/// Marks a request that came through [`upgrades`], so a [`Takeover`] in
/// its response will run. (HTTP/1 hands over only `Upgrade: websocket`
/// requests without a body; a handshake that came another way is
/// refused.)
#[derive(Debug, Clone, Copy)]
pub struct HandedOver;

/// The upgrade service of the HTTP/1 server: each worker builds its own
/// instance of the application `app` makes and sends it the upgrade
/// requests (see the module documentation).
pub fn upgrades<F, T>(
    app: F,
) -> impl ServiceFactory<
    UpgradeRequest,
    Config = (),
    Response = (),
    Error = actix_web::Error,
    InitError = (),
>
where
    F: Fn() -> App<T> + Clone + 'static,
    T: AppFactory,
{
    fn_factory(move || {
        let app = map_config(app().into_factory(), |()| AppConfig::default());
        async move {
            let app = Rc::new(app.new_service(()).await?);
            Ok(fn_service(move |(request, framed): UpgradeRequest| {
                serve(Rc::clone(&app), request, framed)
            }))
        }
    })
}

/// Answers one upgrade request: a WebSocket on the socket when the
/// application hands one over, otherwise its response and a close.
async fn serve<S>(
    app: Rc<S>,
    request: Request,
    mut framed: Framed<TcpStream, Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
{
    request.extensions_mut().insert(HandedOver);
    let mut response: HttpResponse = match app.call(request).await {
        Ok(response) => response.into_parts().1,
        Err(error) => error.as_response_error().error_response(),
    };
    let takeover = response.extensions_mut().remove::<Takeover>();
    let response = Response::from(response);
    match takeover {
        Some(Takeover(run)) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
            // Run even when the head could not be written: the connection
            // then reads the socket's end at once and ends the way it
            // always does, letting go of what it holds.
            let sent = framed
                .send(Message::Item((response.drop_body(), BodySize::None)))
                .await;
            // The dispatcher's write buffer goes here, not with the socket.
            let FramedParts { io, read_buf, .. } = framed.into_parts();
            run(Upgraded { io, read: read_buf }).await;
            Ok(sent?)
        }
        _ => Ok(answer(framed, response).await?),
    }
}

/// Writes `response` whole and closes the connection.
async fn answer(
    mut framed: Framed<TcpStream, Codec>,
    response: Response<BoxBody>,
) -> std::io::Result<()> {
    let (mut head, body) = response.into_parts();
    head.head_mut().set_connection_type(ConnectionType::Close);
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    framed
        .send(Message::Item((head, BodySize::Sized(body.len() as u64))))
        .await?;
    if !body.is_empty() {
        framed.send(Message::Chunk(Some(body))).await?;
    }
    framed.send(Message::Chunk(None)).await?;
    framed.close().await
}
