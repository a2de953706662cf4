//! The `user_identities` table: provider accounts linked to users.

use sea_orm::entity::prelude::*;

/// One provider account, by provider and the provider's subject.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub user_id: Uuid,
    pub email: Option<String>,
    pub email_verified: bool,
    pub created_at: i64,
}

/// No relations are navigated through SeaORM; joins are written explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
