//! What the adapters share around their subscriber tasks: handing a message
//! to the sink, and stopping the tasks when the bus is dropped.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use domain::ports::BusSink;
use tokio::task::AbortHandle;

/// Hands one message to `sink`. A panicking sink loses that message but
/// not the subscription.
pub(crate) fn deliver(sink: &BusSink, message: Vec<u8>) {
    if catch_unwind(AssertUnwindSafe(|| sink(message))).is_err() {
        tracing::error!("the message bus sink panicked; message dropped");
    }
}

/// The subscriber tasks of one bus; aborted when the bus is dropped.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions(Mutex<Vec<AbortHandle>>);

impl Subscriptions {
    /// Keeps `task` until the bus is dropped.
    pub(crate) fn add(&self, task: AbortHandle) {
        match self.0.lock() {
            Ok(mut tasks) => tasks.push(task),
            Err(poisoned) => poisoned.into_inner().push(task),
        }
    }
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        let tasks = match self.0.get_mut() {
            Ok(tasks) => tasks,
            Err(poisoned) => poisoned.into_inner(),
        };
        for task in tasks.drain(..) {
            task.abort();
        }
    }
}
