#include "domain/checked_json.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

namespace tb::checked {

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// nlohmann keeps the last of duplicate keys without a word; a second task or
// connection of the same name would silently replace the first.
class duplicate_key_finder {
 public:
  explicit duplicate_key_finder(report& r) : r_(r) {}

  bool on_event(json::parse_event_t event, const json& parsed) {
    using ev = json::parse_event_t;
    switch (event) {
      case ev::object_start:
      case ev::array_start:
        push(event == ev::array_start);
        break;
      case ev::key:
        on_key(parsed.get<std::string>());
        break;
      case ev::object_end:
      case ev::array_end:
        stack_.pop_back();
        on_value_done();
        break;
      case ev::value:
        on_value_done();
        break;
    }
    return true;
  }

 private:
  // Segments, not whole paths, so that memory stays linear in the depth.
  struct frame {
    std::string segment;
    bool is_array = false;
    std::size_t index = 0;
    std::string key;
    std::set<std::string> keys;
  };

  void push(bool is_array) {
    frame f;
    f.segment = child_segment();
    f.is_array = is_array;
    stack_.push_back(std::move(f));
  }

  std::string child_segment() const {
    if (stack_.empty())
      return "$";
    const auto& top = stack_.back();
    return top.is_array ? element("", top.index) : member("", top.key);
  }

  std::string path() const {
    std::string out;
    for (const auto& f : stack_)
      out += f.segment;
    return out;
  }

  void on_key(std::string key) {
    auto& top = stack_.back();
    if (!top.keys.insert(key).second)
      r_.add(member(path(), key), "duplicate key " + quote(key),
             "each key may appear once in an object; merge or rename the entries");
    top.key = std::move(key);
  }

  void on_value_done() {
    if (!stack_.empty() && stack_.back().is_array)
      ++stack_.back().index;
  }

  report& r_;
  std::vector<frame> stack_;
};

// nlohmann's message reduced to the reason: without its "[json.exception...] "
// tag, its "parse error at line 1, column 5: " head (the place is said
// otherwise) and its "; last read: '...'" tail (the bytes read, which may be
// the invalid UTF-8 itself).
std::string reason_of(const json::exception& e) {
  std::string reason = e.what();
  if (auto tag = reason.find("] "); reason.starts_with("[") && tag != std::string::npos)
    reason.erase(0, tag + 2);
  if (reason.starts_with("parse error"))
    if (auto head = reason.find(": ", reason.find("column")); head != std::string::npos)
      reason.erase(0, head + 2);
  if (auto tail = reason.find("; last read"); tail != std::string::npos) {
    // What the parser expected instead comes after the bytes: kept.
    auto expected = reason.find("; expected ", tail);
    reason = reason.substr(0, tail)
             + (expected == std::string::npos ? std::string{} : reason.substr(expected));
  }
  return printable(reason);
}

// Where a text stops being JSON and why, the same for every reader: "at
// byte 46 of 120, syntax error while parsing object key - unexpected '}'",
// with " (line 3, column 7)" after the byte when the text has lines. For a
// number too large for a double, the reason alone.
std::string syntax_error(const json::exception& e, std::string_view text) {
  auto* at = dynamic_cast<const json::parse_error*>(&e);
  if (!at)
    return reason_of(e); // no place: "number overflow parsing '1e999'"
  std::string out = "at byte " + std::to_string(at->byte) + " of " + std::to_string(text.size());
  // A person edits a text of many lines by line and column: those of the
  // byte named (past the end: the end of the last line plus one), 1-based.
  if (text.find('\n') != std::string_view::npos) {
    auto before = text.substr(0, std::min<std::size_t>(at->byte > 0 ? at->byte - 1 : 0,
                                                       text.size()));
    auto line = 1 + std::count(before.begin(), before.end(), '\n');
    auto line_start = before.rfind('\n');
    auto column = 1 + (line_start == std::string_view::npos ? before.size()
                                                            : before.size() - line_start - 1);
    out += " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
  }
  return out + ", " + reason_of(e);
}

bool is_plain_key(const std::string& key) {
  if (key.empty() || key.size() > 64)
    return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '_' || c == '-';
  });
}

} // namespace

// --- text helpers --------------------------------------------------------------

// A JSON-quoted, length-capped form of a user's string: messages stay one
// readable line, valid UTF-8, whatever the input held.
std::string quote(const std::string& s) {
  constexpr std::size_t cap = 100;
  std::string shown = s.size() > cap ? s.substr(0, cap) + "..." : s;
  return json(shown).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Parser messages echo the raw input, which may be any bytes.
std::string printable(const std::string& s) {
  constexpr std::size_t cap = 300;
  std::string out;
  for (unsigned char c : s.substr(0, cap)) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return s.size() > cap ? out + "..." : out;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : sep) + item;
  return out;
}

std::string join(key_list items) {
  return join(std::vector<std::string>(items.begin(), items.end()));
}

// "\"a\", \"b\" or \"c\"", as the messages for a fixed set of values say it.
std::string one_of(key_list choices) {
  std::string out;
  std::size_t i = 0;
  for (const char* c : choices) {
    if (i > 0)
      out += (i + 1 == choices.size()) ? " or " : ", ";
    out += quote(c);
    ++i;
  }
  return out;
}

// --- JSON paths ------------------------------------------------------------------

// Keys with dots or spaces use brackets, so that a path never reads two ways.
std::string member(const std::string& path, const std::string& key) {
  return is_plain_key(key) ? path + "." + key : path + "[" + quote(key) + "]";
}

std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// --- typed readers: each reports what is wrong and returns nothing ---------------

const json* find(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string got(const json& j) {
  return std::string{"got "} + j.type_name();
}

bool is_object_at(report& r, const json& j, const std::string& path) {
  if (j.is_object())
    return true;
  r.add(path, "must be an object, " + got(j));
  return false;
}

bool is_array_at(report& r, const json& j, const std::string& path) {
  if (j.is_array())
    return true;
  r.add(path, "must be an array, " + got(j));
  return false;
}

// A typo is the usual reason for an unknown key; name the key it most likely meant.
std::string did_you_mean(const std::string& key, const std::vector<std::string>& allowed) {
  for (const auto& c : allowed) {
    std::size_t longer = std::max(c.size(), key.size()), shorter = std::min(c.size(), key.size());
    std::size_t d = longer - shorter <= 2 ? edit_distance(key, c) : 3;
    if (d <= 2 && 2 * d <= c.size())
      return "did you mean " + quote(c) + "? ";
  }
  return "";
}

// Unknown keys are errors, never ignored: a misspelt key would otherwise leave
// a default in force without a word.
void check_keys(report& r, const json& object, const std::string& path,
                const std::vector<std::string>& allowed) {
  for (const auto& [key, value] : object.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      r.add(member(path, key), "unknown key " + quote(key),
            did_you_mean(key, allowed) + "allowed keys: " + join(allowed));
}

void check_keys(report& r, const json& object, const std::string& path, key_list allowed) {
  check_keys(r, object, path, std::vector<std::string>(allowed.begin(), allowed.end()));
}

std::optional<std::string> string_at(report& r, const json& j, const std::string& path) {
  if (j.is_string())
    return j.get<std::string>();
  r.add(path, "must be a string, " + got(j));
  return std::nullopt;
}

std::optional<std::string> nonempty_string_at(report& r, const json& j, const std::string& path) {
  auto s = string_at(r, j, path);
  if (s && s->empty()) {
    r.add(path, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> integer_at(report& r, const json& j, const std::string& path,
                                       std::int64_t lo, std::int64_t hi, std::string hint) {
  std::optional<std::int64_t> value;
  if (j.is_number_unsigned()) {
    auto u = j.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      value = static_cast<std::int64_t>(u);
  } else if (j.is_number_integer()) {
    value = j.get<std::int64_t>();
  }
  if (value && *value >= lo && *value <= hi)
    return value;
  std::string message = "must be an integer between " + std::to_string(lo) + " and "
                        + std::to_string(hi);
  if (!j.is_number())
    message += ", " + got(j);
  r.add(path, std::move(message), std::move(hint));
  return std::nullopt;
}

// The index of the value in choices.
std::optional<std::size_t> choice_at(report& r, const json& j, const std::string& path,
                                     key_list choices) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    std::size_t i = 0;
    for (const char* c : choices) {
      if (s == c)
        return i;
      ++i;
    }
  }
  std::string actual = j.is_string() ? "got " + quote(j.get<std::string>()) : got(j);
  r.add(path, "must be " + one_of(choices) + ", " + actual);
  return std::nullopt;
}

// --- JSON syntax -----------------------------------------------------------------------

// Checked before parsing: nlohmann parses any depth, at a cost in memory
// proportional to it.
bool nests_deeper_than(const std::string& text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit)
        return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

std::optional<json> parse(report& r, const std::string& text, int max_nesting,
                          const std::string& nesting_hint, const std::string& not_json) {
  if (nests_deeper_than(text, max_nesting)) {
    r.add("$", not_json + ": nested deeper than " + std::to_string(max_nesting) + " levels",
          nesting_hint);
    return std::nullopt;
  }
  duplicate_key_finder duplicates{r};
  auto callback = [&duplicates](int, json::parse_event_t event, json& parsed) {
    return duplicates.on_event(event, parsed);
  };
  try {
    return json::parse(text, callback);
  } catch (const json::parse_error& e) {
    r.add("$", not_json + " " + syntax_error(e, text),
          "JSON allows no comments and no trailing commas; strings must be UTF-8");
  } catch (const json::exception& e) { // e.g. a number too large for a double
    r.add("$", not_json + ": " + syntax_error(e, text));
  }
  return std::nullopt;
}

std::optional<json> read_json(std::string_view text, std::string& why) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    why = syntax_error(e, text);
  }
  return std::nullopt;
}



std::optional<bool> bool_at(report& r, const json& j, const std::string& path) {
  if (j.is_boolean())
    return j.get<bool>();
  r.add(path, "must be true or false, not " + got(j));
  return std::nullopt;
}

// --- names ---------------------------------------------------------------------------

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || !is_alnum(s[0]))
    return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

} // namespace

void check_name(report& r, const std::string& name, const std::string& path, const char* what) {
  if (!is_valid_name(name))
    r.add(path, std::string{"invalid "} + what + " " + quote(name),
          "use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit; "
          "names appear in URLs and storage keys");
}

std::optional<std::string> env_name_at(report& r, const json& v, const std::string& path,
                                       const std::string& holds, const std::string& example) {
  auto name = nonempty_string_at(r, v, path);
  if (name && !is_env_name(*name)) {
    r.add(path, quote(printable(*name)) + " is not an environment variable name",
          "name the variable that holds the " + holds + " (e.g. \"" + example
            + "\"); never put the " + holds + " itself in the config");
    return std::nullopt;
  }
  return name;
}

} // namespace tb::checked
