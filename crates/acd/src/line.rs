//! A queue's line with fast positions: sorted blocks of at most [`BLOCK`] keys.
//!
//! A caller's position is asked on every join (for the record) and on every announcement
//! (every caller, every `announce_frequency` seconds), so with thousands waiting it must
//! not count everyone ahead one by one, as a `BTreeSet` would. Blocks give the rank in
//! O(number of blocks + log BLOCK) and insert or remove in O(BLOCK + number of blocks):
//! under a microsecond for lines of ten thousand. The standard library has no
//! order-statistic tree, and this is small enough to own.

use crate::caller::LineKey;

/// Keys a block holds at most before it splits.
const BLOCK: usize = 128;

#[derive(Debug, Clone, Default)]
pub(crate) struct Line {
    /// Non-empty, sorted blocks, each block's keys all below the next block's.
    blocks: Vec<Vec<LineKey>>,
    len: usize,
}

impl Line {
    pub fn len(&self) -> usize {
        self.len
    }

    /// The block that holds or would hold `key`.
    fn block_of(&self, key: &LineKey) -> usize {
        // The last block whose first key is not above `key`.
        self.blocks
            .partition_point(|block| block[0] <= *key)
            .saturating_sub(1)
    }

    pub fn insert(&mut self, key: LineKey) -> bool {
        if self.blocks.is_empty() {
            self.blocks.push(vec![key]);
            self.len = 1;
            return true;
        }
        let b = self.block_of(&key);
        let block = &mut self.blocks[b];
        let Err(at) = block.binary_search(&key) else {
            return false;
        };
        block.insert(at, key);
        self.len += 1;
        if block.len() > BLOCK {
            let upper = block.split_off(BLOCK / 2);
            self.blocks.insert(b + 1, upper);
        }
        true
    }

    pub fn remove(&mut self, key: &LineKey) -> bool {
        if self.blocks.is_empty() {
            return false;
        }
        let b = self.block_of(key);
        let block = &mut self.blocks[b];
        let Ok(at) = block.binary_search(key) else {
            return false;
        };
        block.remove(at);
        self.len -= 1;
        if block.is_empty() {
            self.blocks.remove(b);
        }
        true
    }

    pub fn contains(&self, key: &LineKey) -> bool {
        !self.blocks.is_empty() && self.blocks[self.block_of(key)].binary_search(key).is_ok()
    }

    /// How many keys are below `key`.
    pub fn rank(&self, key: &LineKey) -> usize {
        if self.blocks.is_empty() {
            return 0;
        }
        let b = self.block_of(key);
        let before: usize = self.blocks[..b].iter().map(Vec::len).sum();
        let within = match self.blocks[b].binary_search(key) {
            Ok(at) | Err(at) => at,
        };
        before + within
    }

    pub fn iter(&self) -> impl Iterator<Item = &LineKey> {
        self.blocks.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn agrees_with_a_sorted_set() {
        let mut line = Line::default();
        let mut set = BTreeSet::new();
        // A fixed pseudo-random walk of inserts and removes over a few priorities.
        let mut x: u64 = 12345;
        for step in 0..20_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (Reverse((x >> 60) as i32 % 3), (x >> 20) % 3000);
            if step % 3 == 2 {
                assert_eq!(line.remove(&key), set.remove(&key));
            } else {
                assert_eq!(line.insert(key), set.insert(key));
            }
            if step % 97 == 0 {
                assert_eq!(line.len(), set.len());
                assert!(line.iter().eq(set.iter()));
                assert_eq!(line.rank(&key), set.range(..key).count());
                assert_eq!(line.contains(&key), set.contains(&key));
            }
        }
    }
}
