//! `sqlx::migrate!` embeds `migrations/` at compile time; without this, adding a migration
//! would not rebuild the crate and the new migration would silently not run.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
