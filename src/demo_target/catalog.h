// The demo target's fixed data: a deterministic catalog of 100 items and a
// per-user order history, pre-serialized where it is served often.
//
// Thread-safe: immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::demo_target {

struct CatalogItem {
  int64_t id = 0;  // 1..kCatalogSize
  std::string name;
  int64_t price_cents = 0;
  std::string_view category;
  std::string json;  // {"id":..,"name":..,"price":..,"category":..}
};

class Catalog {
 public:
  static constexpr int64_t kSize = 100;
  static constexpr size_t kDefaultLimit = 20;
  static constexpr size_t kMaxLimit = 100;

  Catalog();

  // The item with this id, or nullptr.
  [[nodiscard]] const CatalogItem* find(int64_t id) const noexcept;
  // JSON array of the first `limit` items in `category` (every category when empty).
  [[nodiscard]] std::string list_json(std::string_view category, size_t limit) const;
  // JSON array of `username`'s orders, only those with `status` unless empty.
  // Each user has the same six orders with ids derived from the name.
  [[nodiscard]] static std::string orders_json(std::string_view username, std::string_view status);

  [[nodiscard]] static const std::vector<std::string_view>& categories();

 private:
  std::vector<CatalogItem> items_;
};

}  // namespace barrage::demo_target
