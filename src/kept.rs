//! Small maps a server keeps between requests (whom a session was and built public answers,
//! shared by all workers; the tokens a worker has verified, its own): bounded by starting
//! again empty when full, so a burst of distinct keys costs only a few recomputations, never
//! unbounded memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

#[derive(Debug)]
pub struct Kept<K, V, const CAP: usize> {
    map: Mutex<HashMap<K, V>>,
}

impl<K, V, const CAP: usize> Default for Kept<K, V, CAP> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone, const CAP: usize> Kept<K, V, CAP> {
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).cloned()
    }

    pub fn put(&self, key: K, value: V) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAP {
            map.clear();
        }
        map.insert(key, value);
    }
}
