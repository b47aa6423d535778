// The relational schema of the store, as SQL, and its forward migrations. docs/schema.md
// documents every table and column; keep the two together.
#pragma once

#include <span>
#include <string_view>

namespace gtops {

// kMigrations[i] takes a store from schema version i to i + 1; the current version is their
// count. A store is created by applying them all to an empty database.
std::span<const std::string_view> SchemaMigrations();

}  // namespace gtops
