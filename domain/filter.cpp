#include "domain/filter.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <re2/re2.h>

#include "domain/checked_json.hpp"
#include "domain/time.hpp"

namespace tb {

namespace {

constexpr std::int64_t day_ms = 86'400'000;

// --- dates -------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date (the civil-calendar
// arithmetic: years shifted to start in March, so February comes last).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// "2026-01-31" as days since the epoch; nullopt for anything else.
std::optional<std::int64_t> parse_day(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-')
    return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return std::nullopt;
  int y = std::stoi(s.substr(0, 4));
  unsigned m = static_cast<unsigned>(std::stoi(s.substr(5, 2)));
  unsigned d = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
  static const unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > lengths[m - 1] + (m == 2 && leap(y) ? 1 : 0))
    return std::nullopt;
  return days_from_civil(y, m, d);
}

std::int64_t day_of(timestamp t) {
  return t >= 0 ? t / day_ms : -((-t + day_ms - 1) / day_ms);
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty())
    return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

// --- values ------------------------------------------------------------------

// A value in an expression. now, today and relative times are resolved when
// the filter is evaluated; the others when it is compiled.
struct literal {
  enum class kind { text, number, day, time, relative, now, today };
  kind k = kind::text;
  std::string text;      // as written (text: the string itself)
  double number = 0;     // number
  std::int64_t day = 0;  // day: days since the epoch
  timestamp time = 0;    // time
  std::int64_t offset = 0; // relative: ms from now
};

bool is_timeish(literal::kind k) {
  return k != literal::kind::text && k != literal::kind::number;
}

// A relative time: "-7d", "+2h"; nullopt when s is not one. bad_sign: the
// form without its sign ("7d").
std::optional<std::int64_t> parse_relative(const std::string& s, bool& bad_sign) {
  bad_sign = false;
  if (s.size() < 2)
    return std::nullopt;
  std::int64_t unit = 0;
  switch (s.back()) {
    case 's': unit = 1000; break;
    case 'm': unit = 60'000; break;
    case 'h': unit = 3'600'000; break;
    case 'd': unit = day_ms; break;
    case 'w': unit = 7 * day_ms; break;
    default: return std::nullopt;
  }
  bool sign = s[0] == '-' || s[0] == '+';
  auto digits = s.substr(sign ? 1 : 0, s.size() - (sign ? 2 : 1));
  if (digits.empty() || digits.size() > 9
      || !std::all_of(digits.begin(), digits.end(),
                      [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  if (!sign) {
    bad_sign = true;
    return std::nullopt;
  }
  auto n = std::stoll(digits) * unit;
  return s[0] == '-' ? -n : n;
}

// Text read as the literal it spells (a variable's value, a bare word): a
// date, a time, a relative time or a number if it is one exactly, else text.
literal literal_of_text(const std::string& s) {
  literal l;
  l.text = s;
  bool bad_sign = false;
  if (auto d = parse_day(s)) {
    l.k = literal::kind::day;
    l.day = *d;
  } else if (auto t = parse_rfc3339(s)) {
    l.k = literal::kind::time;
    l.time = *t;
  } else if (auto r = parse_relative(s, bad_sign)) {
    l.k = literal::kind::relative;
    l.offset = *r;
  } else if (auto n = parse_number(s)) {
    l.k = literal::kind::number;
    l.number = *n;
  }
  return l;
}

std::string shown(const literal& l) {
  return l.k == literal::kind::text ? checked::quote(l.text) : l.text;
}

// --- tokens ------------------------------------------------------------------

struct token {
  enum class kind { end, word, field, value, op, open, close, comma };
  kind k = kind::end;
  std::string text;   // word, field, op: as written
  literal value;      // value
  std::size_t at = 0; // byte offset in the expression
  std::size_t end = 0; // byte offset just after it
};

struct failure {
  filter_problem problem;
};

} // namespace

struct filter::node {
  enum class type { all, any, negate, compare };
  enum class op { eq, ne, lt, le, gt, ge, in, not_in, match, empty, not_empty };
  type t = type::compare;
  std::vector<node> children;
  std::string field;
  op o = op::eq;
  std::vector<literal> values;
  std::shared_ptr<const re2::RE2> regex;
  std::string source; // the expression's text for this node
  std::size_t column = 0; // a comparison's, 1-based
};

struct filter::compiled {
  std::string text;
  node root;
  std::set<std::string> fields;
};

namespace {

using node = filter::node;

// 1-based column of a byte offset, counting characters (UTF-8), not bytes.
std::size_t column_of(const std::string& text, std::size_t at) {
  std::size_t col = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
      ++col;
  return col;
}

class lexer {
 public:
  lexer(const std::string& text, const filter_context& ctx) : s_(text), ctx_(ctx) {}

  std::vector<token> all() {
    std::vector<token> out;
    for (;;) {
      out.push_back(next());
      out.back().end = i_;
      if (out.back().k == token::kind::end)
        return out;
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, std::string message, std::string hint = {}) {
    throw failure{{column_of(s_, at), std::move(message), std::move(hint)}};
  }

  bool at_end() const { return i_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const {
    return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0';
  }

  token next() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(peek())))
      ++i_;
    token t;
    t.at = i_;
    if (at_end())
      return t;
    char c = peek();
    if (c == '(' || c == ')' || c == ',') {
      ++i_;
      t.k = c == '(' ? token::kind::open : c == ')' ? token::kind::close : token::kind::comma;
      t.text = std::string(1, c);
      return t;
    }
    if (c == '=' || c == '~' || c == '<' || c == '>' || c == '!')
      return op(t);
    if (c == '"')
      return string(t);
    if (c == '`')
      return quoted_field(t);
    if (c == '$' && peek(1) == '{')
      return variable(t);
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+')
      return bare_value(t);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_'))
        ++i_;
      t.k = token::kind::word;
      t.text = s_.substr(t.at, i_ - t.at);
      return t;
    }
    fail(i_, "unexpected " + checked::quote(s_.substr(i_, 1)),
         "fields are names (or `quoted names`), values are \"strings\", numbers, dates or "
         "${variables}");
  }

  token op(token t) {
    char c = peek();
    std::string two = s_.substr(i_, 2);
    if (two == "!=" || two == "<=" || two == ">=") {
      i_ += 2;
      t.text = two;
    } else if (c == '!') {
      fail(i_, "unexpected \"!\"", "write != for \"not equal\", or not (...) to negate");
    } else {
      ++i_;
      t.text = std::string(1, c);
    }
    t.k = token::kind::op;
    return t;
  }

  // "...": \" and \\ are escapes; any other backslash stays, so that a
  // regular expression's \d needs no doubling.
  token string(token t) {
    ++i_;
    std::string out;
    while (!at_end() && peek() != '"') {
      if (peek() == '\\' && (peek(1) == '"' || peek(1) == '\\')) {
        out += peek(1);
        i_ += 2;
      } else {
        out += peek();
        ++i_;
      }
    }
    if (at_end())
      fail(t.at, "the string starting here has no closing \"", "end it with \"");
    ++i_;
    t.k = token::kind::value;
    t.value.k = literal::kind::text;
    t.value.text = out;
    return t;
  }

  token quoted_field(token t) {
    auto close = s_.find('`', i_ + 1);
    if (close == std::string::npos)
      fail(t.at, "the field name starting here has no closing `", "end it with `");
    t.text = s_.substr(i_ + 1, close - i_ - 1);
    if (t.text.empty())
      fail(t.at, "an empty field name ``", "write the field's name between the backquotes");
    i_ = close + 1;
    t.k = token::kind::field;
    return t;
  }

  token variable(token t) {
    auto close = s_.find('}', i_ + 2);
    if (close == std::string::npos)
      fail(t.at, "the variable starting here has no closing }", "write ${NAME}");
    auto name = s_.substr(i_ + 2, close - i_ - 2);
    i_ = close + 1;
    t.k = token::kind::value;
    if (name == "now") {
      t.value.k = literal::kind::now;
      t.value.text = "${now}";
    } else if (name == "today") {
      t.value.k = literal::kind::today;
      t.value.text = "${today}";
    } else if (name.rfind("env:", 0) == 0) {
      auto var = name.substr(4);
      auto v = ctx_.environment ? ctx_.environment(var) : std::nullopt;
      if (!v)
        fail(t.at, "${" + name + "}: the environment variable " + checked::quote(var)
                     + " is not set",
             "export it before TrackBridge starts, or use a variable of the configuration");
      t.value = literal_of_text(*v);
    } else if (auto v = ctx_.variables.find(name); v != ctx_.variables.end()) {
      t.value = literal_of_text(v->second);
    } else {
      std::vector<std::string> known{"now", "today"};
      for (auto& [k, _] : ctx_.variables)
        known.push_back(k);
      fail(t.at, "undefined variable ${" + name + "}",
           checked::did_you_mean(name, known) + "known: " + checked::join(known)
             + "; define it in the configuration's variables, or use ${env:NAME}");
    }
    return t;
  }

  // Numbers, dates, times and relative times: everything up to a space, a
  // parenthesis or a comma.
  token bare_value(token t) {
    while (!at_end() && !std::isspace(static_cast<unsigned char>(peek())) && peek() != ')'
           && peek() != '(' && peek() != ',')
      ++i_;
    auto word = s_.substr(t.at, i_ - t.at);
    t.k = token::kind::value;
    t.value = literal_of_text(word);
    if (t.value.k != literal::kind::text)
      return t;
    bool bad_sign = false;
    parse_relative(word, bad_sign);
    if (bad_sign)
      fail(t.at, checked::quote(word) + " needs a sign",
           "-" + word + " is that long ago, +" + word + " that far ahead");
    if (word.size() >= 8 && std::isdigit(static_cast<unsigned char>(word[0]))
        && word.find('-') != std::string::npos)
      fail(t.at, checked::quote(word) + " is not a date or time",
           "write a date as 2026-01-31 and a time as 2026-01-31T12:00:00Z");
    fail(t.at, checked::quote(word) + " is not a value",
         "numbers: 42 or 1.5; dates: 2026-01-31; relative times: -7d, -2h; text in "
         "\"quotes\"");
  }

  const std::string& s_;
  const filter_context& ctx_;
  std::size_t i_ = 0;
};

const char* op_words = "=, !=, <, <=, >, >=, ~, in, not in, is empty or is not empty";

class parser {
 public:
  parser(const std::string& text, std::vector<token> tokens, const filter_context& ctx)
    : s_(text), t_(std::move(tokens)), ctx_(ctx) {}

  node parse(std::set<std::string>& fields) {
    fields_ = &fields;
    auto n = any(0);
    if (peek().k != token::kind::end)
      fail(peek(), "unexpected " + describe(peek()) + " after a complete condition",
           "join conditions with and or or");
    return n;
  }

 private:
  [[noreturn]] void fail(const token& at, std::string message, std::string hint = {}) {
    throw failure{{column_of(s_, at.at), std::move(message), std::move(hint)}};
  }

  const token& peek(std::size_t ahead = 0) const {
    return t_[std::min(p_ + ahead, t_.size() - 1)];
  }
  token take() {
    auto t = peek();
    if (p_ < t_.size() - 1)
      ++p_;
    return t;
  }
  bool word(const char* w, std::size_t ahead = 0) const {
    return peek(ahead).k == token::kind::word && peek(ahead).text == w;
  }

  static std::string describe(const token& t) {
    switch (t.k) {
      case token::kind::end: return "the end";
      case token::kind::value: return shown(t.value);
      case token::kind::field: return "`" + t.text + "`";
      default: return checked::quote(t.text);
    }
  }

  // The expression's text from `from` to the end of the last token taken.
  std::string source(std::size_t from) const {
    auto stop = p_ > 0 ? t_[p_ - 1].end : from;
    return s_.substr(from, stop > from ? stop - from : 0);
  }

  void deeper(int depth, const token& at) {
    if (depth > filter::max_depth)
      fail(at, "the expression nests deeper than " + std::to_string(filter::max_depth)
                 + " levels",
           "a real filter nests a few levels; is this the right text?");
  }

  // or binds loosest, then and: `a or b and c` is `a or (b and c)`.
  node any(int depth) { return chain(depth, "or", node::type::any, &parser::all); }
  node all(int depth) { return chain(depth, "and", node::type::all, &parser::negation); }

  // One or more `next`s joined by `joiner`; a single one stands alone.
  node chain(int depth, const char* joiner, node::type type, node (parser::*next)(int)) {
    deeper(depth, peek());
    auto from = peek().at;
    node first = (this->*next)(depth + 1);
    if (!word(joiner))
      return first;
    node n;
    n.t = type;
    n.children.push_back(std::move(first));
    while (word(joiner)) {
      take();
      n.children.push_back((this->*next)(depth + 1));
    }
    n.source = source(from);
    return n;
  }

  node negation(int depth) {
    deeper(depth, peek());
    auto from = peek().at;
    if (word("not")) {
      take();
      node n;
      n.t = node::type::negate;
      n.children.push_back(negation(depth + 1));
      n.source = source(from);
      return n;
    }
    if (peek().k == token::kind::open) {
      auto open = take();
      node inner = any(depth + 1);
      if (peek().k != token::kind::close)
        fail(peek(), "expected ) to close the ( at column "
                       + std::to_string(column_of(s_, open.at)) + ", found "
                       + describe(peek()));
      take();
      return inner;
    }
    return comparison();
  }

  std::string field_name() {
    auto t = peek();
    if (t.k == token::kind::field || (t.k == token::kind::word && !keyword(t.text))) {
      take();
      check_field(t);
      return t.text;
    }
    if (t.k == token::kind::end)
      fail(t, "expected a condition, found the end",
           "a condition is a field, an operator and a value: status = \"New\"");
    if (t.k == token::kind::value && t.value.k == literal::kind::text)
      fail(t, "expected a field name, found the string " + shown(t.value),
           "fields are not quoted; write a name with spaces or symbols as `Business Area`");
    fail(t, "expected a field name, found " + describe(t),
         "a condition is a field, an operator and a value: status = \"New\"");
  }

  static bool keyword(const std::string& w) {
    return w == "and" || w == "or" || w == "not" || w == "in" || w == "is" || w == "empty";
  }

  static bool time_field(const std::string& f) { return f == "created" || f == "updated"; }

  void check_field(const token& t) {
    fields_->insert(t.text);
    if (!ctx_.fields || time_field(t.text) || ctx_.fields->count(t.text))
      return;
    std::vector<std::string> known{ctx_.fields->begin(), ctx_.fields->end()};
    known.push_back("created");
    known.push_back("updated");
    fail(t, "unknown field " + checked::quote(t.text),
         checked::did_you_mean(t.text, known) + "fields: " + checked::join(known)
           + " (names are case-sensitive)");
  }

  node comparison() {
    auto from = peek().at;
    node n;
    n.t = node::type::compare;
    n.column = column_of(s_, from);
    n.field = field_name();
    auto at = peek();
    if (word("is")) {
      take();
      bool negated = word("not");
      if (negated)
        take();
      if (!word("empty"))
        fail(peek(), "expected empty after " + std::string{negated ? "is not" : "is"}
                       + ", found " + describe(peek()));
      take();
      n.o = negated ? node::op::not_empty : node::op::empty;
    } else if (word("in") || (word("not") && word("in", 1))) {
      n.o = word("not") ? node::op::not_in : node::op::in;
      take();
      if (n.o == node::op::not_in)
        take();
      n.values = list();
    } else if (at.k == token::kind::op) {
      take();
      n.o = at.text == "=" ? node::op::eq : at.text == "!=" ? node::op::ne
            : at.text == "<" ? node::op::lt : at.text == "<=" ? node::op::le
            : at.text == ">" ? node::op::gt : at.text == ">=" ? node::op::ge : node::op::match;
      n.values.push_back(value(at.text));
    } else {
      fail(at, "expected an operator after " + checked::quote(n.field) + ", found "
                 + describe(at),
           std::string{"one of "} + op_words);
    }
    check_types(n, at);
    n.source = source(from);
    return n;
  }

  literal value(const std::string& after) {
    auto t = peek();
    if (t.k != token::kind::value)
      fail(t, "expected a value after " + after + ", found " + describe(t),
           t.k == token::kind::word && !keyword(t.text)
             ? "text goes in quotes: \"" + t.text + "\""
             : "a \"string\", a number, a date (2026-01-31), a relative time (-7d) or a "
               "${variable}");
    take();
    return t.value;
  }

  std::vector<literal> list() {
    if (peek().k != token::kind::open)
      fail(peek(), "expected ( after in, found " + describe(peek()),
           "in takes a list: status in (\"New\", \"Open\")");
    take();
    std::vector<literal> out;
    out.push_back(value("("));
    while (peek().k == token::kind::comma) {
      take();
      out.push_back(value(","));
    }
    if (peek().k != token::kind::close)
      fail(peek(), "expected , or ) in the list, found " + describe(peek()));
    take();
    return out;
  }

  void check_types(node& n, const token& at) {
    bool is_time = time_field(n.field);
    for (auto& v : n.values) {
      if (is_time && !is_timeish(v.k))
        fail(at, n.field + " is a time, compared here with " + shown(v),
             "compare it with a date (2026-01-31), a time (2026-01-31T12:00:00Z), a relative "
             "time (-7d), ${now} or ${today}");
    }
    if (n.o != node::op::match)
      return;
    auto& v = n.values.front();
    if (is_time || v.k != literal::kind::text)
      fail(at, "~ matches text against a regular expression in \"quotes\"",
           is_time ? "compare times with <, <=, >, >= or ="
                   : "write the expression as \"^S[12]$\"");
    re2::RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<re2::RE2>(v.text, options);
    if (!re->ok())
      fail(at, "the regular expression " + checked::quote(v.text) + " is not valid: "
                 + re->error(),
           "RE2 syntax (github.com/google/re2/wiki/Syntax): no lookaround or backreferences");
    n.regex = std::move(re);
  }

  const std::string& s_;
  std::vector<token> t_;
  const filter_context& ctx_;
  std::size_t p_ = 0;
  std::set<std::string>* fields_ = nullptr;
};

// --- evaluation --------------------------------------------------------------

struct seen {
  std::string text;         // for string fields: the value
  std::optional<timestamp> time; // for created/updated, or a string that reads as one
};

std::optional<timestamp> as_time(const std::string& s) {
  if (auto d = parse_day(s))
    return *d * day_ms;
  return parse_rfc3339(s);
}

// One comparison of a field's value with a literal. != is not(=); the
// ordering comparisons are false when the value cannot be read as the
// literal's kind (an empty field is below nothing and above nothing).
bool compare(const std::string& text, std::optional<timestamp> time, node::op o,
             const literal& l, timestamp now) {
  if (o == node::op::ne)
    return !compare(text, time, node::op::eq, l, now);
  auto order = [o](auto a, auto b) {
    switch (o) {
      case node::op::eq: return a == b;
      case node::op::lt: return a < b;
      case node::op::le: return a <= b;
      case node::op::gt: return a > b;
      case node::op::ge: return a >= b;
      default: return false;
    }
  };
  using k = literal::kind;
  switch (l.k) {
    case k::text:
      return order(text, l.text);
    case k::number: {
      auto n = parse_number(text);
      return n && order(*n, l.number);
    }
    case k::day:
    case k::today: {
      auto t = time ? time : as_time(text);
      return t && order(day_of(*t), l.k == k::day ? l.day : day_of(now));
    }
    case k::time:
    case k::relative:
    case k::now: {
      auto t = time ? time : as_time(text);
      auto ref = l.k == k::time ? l.time : l.k == k::now ? now : now + l.offset;
      return t && order(*t, ref);
    }
  }
  return false;
}

seen read(const issue& i, const std::string& field) {
  if (field == "created")
    return {to_rfc3339(i.created), i.created};
  if (field == "updated")
    return {to_rfc3339(i.updated), i.updated};
  return {value_of(i, field), std::nullopt};
}

bool leaf(const node& n, const issue& i, timestamp now) {
  auto v = read(i, n.field);
  switch (n.o) {
    case node::op::empty:
      return v.text.empty() || (v.time && *v.time == 0);
    case node::op::not_empty:
      return !(v.text.empty() || (v.time && *v.time == 0));
    case node::op::match:
      return re2::RE2::PartialMatch(v.text, *n.regex);
    case node::op::in:
    case node::op::not_in: {
      bool any = std::any_of(n.values.begin(), n.values.end(), [&](const literal& l) {
        return compare(v.text, v.time, node::op::eq, l, now);
      });
      return n.o == node::op::in ? any : !any;
    }
    default:
      return compare(v.text, v.time, n.o, n.values.front(), now);
  }
}

// What judge() says without its words: the path every pass takes.
bool holds(const node& n, const issue& i, timestamp now) {
  switch (n.t) {
    case node::type::compare:
      return leaf(n, i, now);
    case node::type::negate:
      return !holds(n.children.front(), i, now);
    case node::type::all:
      return std::all_of(n.children.begin(), n.children.end(),
                         [&](const node& c) { return holds(c, i, now); });
    case node::type::any:
      return std::any_of(n.children.begin(), n.children.end(),
                         [&](const node& c) { return holds(c, i, now); });
  }
  return false;
}

filter_verdict judge(const node& n, const issue& i, timestamp now) {
  switch (n.t) {
    case node::type::compare: {
      bool m = leaf(n, i, now);
      auto v = read(i, n.field);
      auto value = v.text.empty() ? "empty" : checked::quote(v.text);
      return {m, n.source + " is " + (m ? "true" : "false") + ": " + n.field + " is " + value};
    }
    case node::type::negate: {
      auto inner = judge(n.children.front(), i, now);
      return {!inner.matches, inner.because};
    }
    case node::type::all:
    case node::type::any: {
      bool all = n.t == node::type::all;
      std::string because;
      for (auto& c : n.children) {
        auto v = judge(c, i, now);
        if (v.matches != all)
          return v; // the first that decides
        because += (because.empty() ? "" : "; ") + v.because;
      }
      return {all, because};
    }
  }
  return {};
}

} // namespace

std::variant<filter, std::vector<filter_problem>> filter::compile(const std::string& text,
                                                                  const filter_context& ctx) {
  if (text.size() > max_length)
    return std::vector<filter_problem>{
      {1, "the expression is longer than " + std::to_string(max_length) + " characters",
       "is this the right text?"}};
  try {
    auto tokens = lexer{text, ctx}.all();
    auto c = std::make_shared<compiled>();
    c->text = text;
    c->root = parser{text, std::move(tokens), ctx}.parse(c->fields);
    return filter{std::move(c)};
  } catch (const failure& f) {
    return std::vector<filter_problem>{f.problem};
  }
}

bool filter::matches(const issue& i, timestamp now) const {
  return holds(c_->root, i, now);
}

filter_verdict filter::explain(const issue& i, timestamp now) const {
  return judge(c_->root, i, now);
}

const std::string& filter::text() const {
  return c_->text;
}

const std::set<std::string>& filter::fields() const {
  return c_->fields;
}

namespace {

void collect_comparisons(const node& n, std::vector<filter_comparison>& out) {
  for (const auto& c : n.children)
    collect_comparisons(c, out);
  using op = node::op;
  if (n.t != node::type::compare
      || !(n.o == op::eq || n.o == op::ne || n.o == op::in || n.o == op::not_in))
    return;
  filter_comparison c{n.field, {}, n.column};
  for (const auto& v : n.values)
    c.values.push_back(v.text);
  out.push_back(std::move(c));
}

} // namespace

namespace {

// The earliest time a comparison `t >= l` (or >) can hold for, if l is one.
std::optional<timestamp> lower_bound_of(const literal& l, timestamp now) {
  using k = literal::kind;
  switch (l.k) {
    case k::day: return l.day * day_ms;
    case k::today: return day_of(now) * day_ms;
    case k::time: return l.time;
    case k::now: return now;
    case k::relative: return now + l.offset;
    default: return std::nullopt;
  }
}

void narrow_by(const node& n, timestamp now, listing_narrowing& out) {
  using op = node::op;
  if (n.field == "created" || n.field == "updated") {
    if (n.o != op::ge && n.o != op::gt)
      return;
    auto from = lower_bound_of(n.values.front(), now);
    auto& bound = n.field == "created" ? out.created_from : out.updated_from;
    if (from)
      bound = bound ? std::max(*bound, *from) : *from;
    return;
  }
  if (n.o != op::eq && n.o != op::in)
    return;
  std::set<std::string> values;
  for (auto& l : n.values) {
    if (l.k != literal::kind::text)
      return; // a number or a date compares as more than one text
    if (l.text.empty())
      return; // "" is an empty field: no tracker lists that by an equal value
    values.insert(l.text);
  }
  auto [i, fresh] = out.any_of.try_emplace(n.field, values);
  if (fresh)
    return;
  std::set<std::string> both; // status in (A, B) and status = A: A
  for (auto& v : values)
    if (i->second.count(v))
      both.insert(v);
  i->second = std::move(both);
}

} // namespace

listing_narrowing filter::narrowing(timestamp now) const {
  listing_narrowing out;
  auto& root = c_->root;
  if (root.t == node::type::compare)
    narrow_by(root, now, out);
  else if (root.t == node::type::all)
    for (auto& c : root.children)
      if (c.t == node::type::compare)
        narrow_by(c, now, out);
  return out;
}

std::vector<filter_comparison> filter::comparisons() const {
  std::vector<filter_comparison> out;
  collect_comparisons(c_->root, out);
  return out;
}

std::string format(const filter_problem& p) {
  auto out = "at column " + std::to_string(p.column) + ": " + p.message;
  if (!p.hint.empty())
    out += " (hint: " + p.hint + ")";
  return out;
}

} // namespace tb
