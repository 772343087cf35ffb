#include "demo_target/catalog.h"

#include <fmt/format.h>

#include <array>

namespace barrage::demo_target {
namespace {

constexpr std::array<std::string_view, 10> kAdjectives = {
    "Classic",  "Compact", "Deluxe", "Eco",   "Ergonomic",
    "Portable", "Premium", "Rugged", "Smart", "Vintage"};
constexpr std::array<std::string_view, 10> kNouns = {
    "Backpack", "Blender", "Desk Lamp", "Headphones", "Kettle",
    "Notebook", "Planter", "Puzzle",    "Speaker",    "Water Bottle"};
constexpr std::array<std::string_view, 5> kOrderStatuses = {"open", "shipped", "delivered", "open",
                                                            "cancelled"};

// FNV-1a: stable across runs and platforms, unlike std::hash.
uint64_t fnv1a(std::string_view s) noexcept {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

const std::vector<std::string_view>& Catalog::categories() {
  static const std::vector<std::string_view> kCategories = {"books", "electronics", "garden",
                                                            "kitchen", "toys"};
  return kCategories;
}

Catalog::Catalog() {
  const auto& cats = categories();
  items_.reserve(kSize);
  for (int64_t id = 1; id <= kSize; ++id) {
    const auto i = static_cast<size_t>(id - 1);
    CatalogItem item;
    item.id = id;
    item.name = fmt::format("{} {}", kAdjectives[i % kAdjectives.size()],
                            kNouns[(i / kAdjectives.size()) % kNouns.size()]);
    item.price_cents = 499 + static_cast<int64_t>((i * 7919) % 20000);
    item.category = cats[(i * 3) % cats.size()];
    item.json =
        fmt::format(R"({{"id":{},"name":"{}","price":{}.{:02},"category":"{}"}})", id, item.name,
                    item.price_cents / 100, item.price_cents % 100, item.category);
    items_.push_back(std::move(item));
  }
}

const CatalogItem* Catalog::find(int64_t id) const noexcept {
  if (id < 1 || id > kSize) return nullptr;
  return &items_[static_cast<size_t>(id - 1)];
}

std::string Catalog::list_json(std::string_view category, size_t limit) const {
  std::string out = "[";
  size_t n = 0;
  for (const auto& item : items_) {
    if (n == limit) break;
    if (!category.empty() && item.category != category) continue;
    if (n++ > 0) out.push_back(',');
    out += item.json;
  }
  out.push_back(']');
  return out;
}

std::string Catalog::orders_json(std::string_view username, std::string_view status) {
  const uint64_t base = 100000 + fnv1a(username) % 800000;
  std::string out = "[";
  size_t n = 0;
  for (uint64_t k = 0; k < 6; ++k) {
    const std::string_view s = kOrderStatuses[k % kOrderStatuses.size()];
    if (!status.empty() && s != status) continue;
    if (n++ > 0) out.push_back(',');
    const uint64_t items = 1 + (base + k) % 4;
    const uint64_t total_cents = 1299 + ((base + k) * 7919) % 30000;
    fmt::format_to(std::back_inserter(out),
                   R"({{"orderId":"ord-{}","status":"{}","items":{},"total":{}.{:02}}})", base + k,
                   s, items, total_cents / 100, total_cents % 100);
  }
  out.push_back(']');
  return out;
}

}  // namespace barrage::demo_target
