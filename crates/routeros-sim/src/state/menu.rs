//! [`Menu`]: the items of one RouterOS menu (`/ppp/secret`, `/ppp/active`, `/ppp/profile`,
//! `/ip/firewall/address-list`) by `.id`, the index of their keys, and the ids changed since
//! the last look, which the state turns into change notifications for `listen` and
//! `print =follow=`. One type for all menus, so that an item, its key and its notification
//! cannot get out of step.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use routeros_api::value::ItemId;

use super::SimError;

/// An item of a menu: it has an id and a key that is unique within the menu.
pub(crate) trait Keyed {
    /// Whether the key is a name that `.id` / `numbers` may give instead of an id: so for
    /// the `/ppp` menus; not for an address list, whose key is compound.
    const KEY_IS_NAME: bool = true;
    fn id(&self) -> ItemId;
    /// The name (secrets, sessions, profiles), or what else makes an item unique.
    fn key(&self) -> Cow<'_, str>;
}

/// The items of one menu.
#[derive(Debug)]
pub(crate) struct Menu<T> {
    items: BTreeMap<ItemId, Arc<T>>,
    keys: HashMap<String, ItemId>,
    next_id: u32,
    changed: Vec<ItemId>,
}

impl<T: Keyed> Menu<T> {
    /// An empty menu whose first allocated id is `first_id`.
    pub(crate) fn new(first_id: u32) -> Self {
        Self {
            items: BTreeMap::new(),
            keys: HashMap::new(),
            next_id: first_id,
            changed: Vec::new(),
        }
    }

    /// The id the next [`allocate`](Self::allocate) gives, without taking it.
    pub(crate) fn peek_id(&self) -> ItemId {
        ItemId(self.next_id)
    }

    /// Takes a new id.
    pub(crate) fn allocate(&mut self) -> ItemId {
        let id = ItemId(self.next_id);
        self.next_id += 1;
        id
    }

    pub(crate) fn get(&self, id: ItemId) -> Option<&Arc<T>> {
        self.items.get(&id)
    }

    pub(crate) fn contains(&self, id: ItemId) -> bool {
        self.items.contains_key(&id)
    }

    /// The item whose key is `key`.
    pub(crate) fn by_key(&self, key: &str) -> Option<&Arc<T>> {
        self.keys.get(key).and_then(|id| self.items.get(id))
    }

    /// The id of the item whose key is `key`.
    pub(crate) fn id_of(&self, key: &str) -> Option<ItemId> {
        self.keys.get(key).copied()
    }

    /// Adds an item, or replaces the one with its id (whose old key is forgotten). The caller
    /// has made sure that no other item has the key.
    pub(crate) fn insert(&mut self, item: T) -> Arc<T> {
        let item = Arc::new(item);
        let id = item.id();
        let key = item.key().into_owned();
        if let Some(old) = self.items.insert(id, item.clone())
            && old.key() != key.as_str()
        {
            self.keys.remove(old.key().as_ref());
        }
        self.keys.insert(key, id);
        self.changed.push(id);
        item
    }

    /// Removes an item.
    pub(crate) fn remove(&mut self, id: ItemId) -> Option<Arc<T>> {
        let item = self.items.remove(&id)?;
        self.keys.remove(item.key().as_ref());
        self.changed.push(id);
        Some(item)
    }

    /// The items in `.id` order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Arc<T>> {
        self.items.values()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Resolves `.id` / `numbers`: a comma-separated list of `*hex` ids (or names, see
    /// [`Keyed::KEY_IS_NAME`]), each once.
    pub(crate) fn resolve(&self, numbers: &str) -> Result<Vec<ItemId>, SimError> {
        let mut ids = Vec::new();
        for part in numbers.split(',').map(str::trim) {
            let id = match ItemId::parse(part) {
                Some(id) => self.contains(id).then_some(id),
                None if T::KEY_IS_NAME => self.id_of(part),
                None => None,
            };
            let id = id.ok_or(SimError::NoSuchItem)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(SimError::NoSuchItem);
        }
        Ok(ids)
    }

    /// The ids added, changed or removed since the last call, in that order.
    pub(crate) fn take_changed(&mut self) -> Vec<ItemId> {
        std::mem::take(&mut self.changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Thing(ItemId, &'static str);

    impl Keyed for Thing {
        fn id(&self) -> ItemId {
            self.0
        }
        fn key(&self) -> Cow<'_, str> {
            Cow::Borrowed(self.1)
        }
    }

    /// Keyed by two fields, like an address-list entry; no names in `numbers`.
    #[derive(Debug)]
    struct Pair(ItemId, &'static str, &'static str);

    impl Keyed for Pair {
        const KEY_IS_NAME: bool = false;
        fn id(&self) -> ItemId {
            self.0
        }
        fn key(&self) -> Cow<'_, str> {
            Cow::Owned(format!("{}\0{}", self.1, self.2))
        }
    }

    #[test]
    fn items_names_and_changes_stay_in_step() {
        let mut menu = Menu::new(1);
        let a = menu.allocate();
        menu.insert(Thing(a, "a"));
        let b = menu.allocate();
        menu.insert(Thing(b, "b"));
        assert_eq!(menu.peek_id(), ItemId(3));
        assert_eq!(menu.by_key("b").map(|t| t.0), Some(b));
        // A rename moves the index.
        menu.insert(Thing(a, "z"));
        assert_eq!(menu.id_of("a"), None);
        assert_eq!(menu.id_of("z"), Some(a));
        assert_eq!(menu.resolve("*2,z,b"), Ok(vec![b, a]));
        assert_eq!(menu.resolve("*9"), Err(SimError::NoSuchItem));
        assert_eq!(menu.resolve(""), Err(SimError::NoSuchItem));
        assert_eq!(menu.remove(b).map(|t| t.1), Some("b"));
        assert_eq!(menu.id_of("b"), None);
        assert_eq!(menu.len(), 1);
        assert_eq!(menu.take_changed(), [a, b, a, b]);
        assert!(menu.take_changed().is_empty());
    }

    #[test]
    fn compound_keys_are_indexed_but_not_names() {
        let mut menu = Menu::new(1);
        let a = menu.allocate();
        menu.insert(Pair(a, "isolir", "10.0.0.1"));
        let b = menu.allocate();
        menu.insert(Pair(b, "isolir", "10.0.0.2"));
        assert_eq!(menu.id_of("isolir\u{0}10.0.0.2"), Some(b));
        // A changed address moves the index.
        menu.insert(Pair(a, "isolir", "10.0.0.3"));
        assert_eq!(menu.id_of("isolir\u{0}10.0.0.1"), None);
        assert_eq!(menu.id_of("isolir\u{0}10.0.0.3"), Some(a));
        assert_eq!(menu.resolve("*1,*2"), Ok(vec![a, b]));
        assert_eq!(
            menu.resolve("isolir\u{0}10.0.0.3"),
            Err(SimError::NoSuchItem)
        );
        menu.remove(a);
        assert_eq!(menu.id_of("isolir\u{0}10.0.0.3"), None);
    }
}
