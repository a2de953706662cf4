//! Presence in chat rooms across instances: per user, who is present on
//! which instance. A user is a member while any instance has them.

use crate::realtime::frames::{self, Member};
use crate::realtime::wire::Broadcast;
use bytestring::ByteString;
use domain::model::UserId;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub(super) struct Presence {
    instance: Uuid,
    /// This instance's connections per (room, user).
    local: HashMap<(String, UserId), usize>,
    /// Room → user → (member, instances where present).
    global: HashMap<String, HashMap<Uuid, (Member, HashSet<Uuid>)>>,
}

impl Presence {
    pub fn new(instance: Uuid) -> Self {
        Self {
            instance,
            local: HashMap::new(),
            global: HashMap::new(),
        }
    }

    /// Everyone present in `room`.
    pub fn present(&self, room: &str) -> Vec<Member> {
        self.global
            .get(room)
            .map(|users| users.values().map(|(member, _)| member.clone()).collect())
            .unwrap_or_default()
    }

    /// A connection of `user` joined `room` here; the broadcast to send when
    /// it is the user's first here.
    pub fn local_joined(&mut self, room: &str, user: UserId, member: Member) -> Option<Broadcast> {
        let count = self.local.entry((room.to_owned(), user)).or_default();
        *count += 1;
        (*count == 1).then(|| self.change(room, member, true))
    }

    /// A connection of `user` left `room` here; the broadcast to send when
    /// it was the user's last here.
    pub fn local_left(&mut self, room: &str, user: UserId, member: Member) -> Option<Broadcast> {
        let key = (room.to_owned(), user);
        let count = self.local.get_mut(&key)?;
        *count -= 1;
        if *count > 0 {
            return None;
        }
        self.local.remove(&key);
        Some(self.change(room, member, false))
    }

    fn change(&self, room: &str, member: Member, present: bool) -> Broadcast {
        Broadcast::Presence {
            instance: self.instance,
            room: room.to_owned(),
            member,
            present,
        }
    }

    /// Applies a presence broadcast; the frame for the room's members when
    /// the user became present or absent.
    pub fn apply(
        &mut self,
        instance: Uuid,
        room: &str,
        member: Member,
        present: bool,
    ) -> Option<ByteString> {
        let users = self.global.entry(room.to_owned()).or_default();
        let user = member.user_id;
        if present {
            let (_, instances) = users
                .entry(user)
                .or_insert_with(|| (member.clone(), HashSet::new()));
            let first = instances.is_empty();
            instances.insert(instance);
            return first.then(|| frames::presence(room, std::slice::from_ref(&member), &[]));
        }
        let (_, instances) = users.get_mut(&user)?;
        instances.remove(&instance);
        if !instances.is_empty() {
            return None;
        }
        users.remove(&user);
        if users.is_empty() {
            self.global.remove(room);
        }
        Some(frames::presence(room, &[], std::slice::from_ref(&member)))
    }
}
