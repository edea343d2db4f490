//! [`Menu`]: the items of one RouterOS menu (`/ppp/secret`, `/ppp/active`, `/ppp/profile`)
//! by `.id`, the index of their names, and the ids changed since the last look, which the
//! state turns into change notifications for `listen` and `print =follow=`. One type for the
//! three menus, so that an item, its name and its notification cannot get out of step.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use routeros_api::value::ItemId;

use super::SimError;

/// An item of a menu: it has an id and a name (unique within the menu).
pub(crate) trait Named {
    fn id(&self) -> ItemId;
    fn name(&self) -> &str;
}

/// The items of one menu.
#[derive(Debug)]
pub(crate) struct Menu<T> {
    items: BTreeMap<ItemId, Arc<T>>,
    names: HashMap<String, ItemId>,
    next_id: u32,
    changed: Vec<ItemId>,
}

impl<T: Named> Menu<T> {
    /// An empty menu whose first allocated id is `first_id`.
    pub(crate) fn new(first_id: u32) -> Self {
        Self {
            items: BTreeMap::new(),
            names: HashMap::new(),
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

    /// The item called `name`.
    pub(crate) fn by_name(&self, name: &str) -> Option<&Arc<T>> {
        self.names.get(name).and_then(|id| self.items.get(id))
    }

    /// The id of the item called `name`.
    pub(crate) fn id_of(&self, name: &str) -> Option<ItemId> {
        self.names.get(name).copied()
    }

    /// Adds an item, or replaces the one with its id (whose old name is forgotten).
    pub(crate) fn insert(&mut self, item: T) -> Arc<T> {
        let item = Arc::new(item);
        let id = item.id();
        if let Some(old) = self.items.insert(id, item.clone())
            && old.name() != item.name()
        {
            self.names.remove(old.name());
        }
        self.names.insert(item.name().to_owned(), id);
        self.changed.push(id);
        item
    }

    /// Removes an item.
    pub(crate) fn remove(&mut self, id: ItemId) -> Option<Arc<T>> {
        let item = self.items.remove(&id)?;
        self.names.remove(item.name());
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

    /// Resolves `.id` / `numbers`: a comma-separated list of `*hex` ids or names, each once.
    pub(crate) fn resolve(&self, numbers: &str) -> Result<Vec<ItemId>, SimError> {
        let mut ids = Vec::new();
        for part in numbers.split(',').map(str::trim) {
            let id = match ItemId::parse(part) {
                Some(id) => self.contains(id).then_some(id),
                None => self.id_of(part),
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

    impl Named for Thing {
        fn id(&self) -> ItemId {
            self.0
        }
        fn name(&self) -> &str {
            self.1
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
        assert_eq!(menu.by_name("b").map(|t| t.0), Some(b));
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
}
