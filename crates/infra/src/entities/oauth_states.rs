//! The `oauth_states` table: pending OAuth authorization requests.

use sea_orm::entity::prelude::*;

/// One pending request, by the SHA-256 of its `state`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: Vec<u8>,
    pub provider: String,
    pub binding_hash: Vec<u8>,
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect_uri: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// No relations are navigated through SeaORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
