//! The `refresh_tokens` table: each session's rotation chain.

use sea_orm::entity::prelude::*;

/// One refresh token, by the SHA-256 of its text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: Vec<u8>,
    pub session_id: Uuid,
    pub issued_at: i64,
    pub expires_at: i64,
    pub spent_at: Option<i64>,
    pub access_jti: Uuid,
    pub access_role: String,
    pub access_issued_at: i64,
    pub access_expires_at: i64,
}

/// No relations are navigated through SeaORM; joins are written explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
