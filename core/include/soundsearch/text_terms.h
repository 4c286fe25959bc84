// Text normalisation shared by text queries and word matching
// (docs/api.md, "Text queries"): the same rule turns a query ("Dogs
// barking"), a word of the collection ("dog bark") and a class name
// ("Bark") into comparable terms.
//
// Rule, per word: ASCII letters are lower-cased; anything that is not an
// ASCII letter or digit separates words (bytes >= 0x80 count as letters,
// so UTF-8 words stay whole); stop words are dropped (StopWords()); what is
// left is stemmed (StemTerm): plurals and -ing forms reduce to one stem.
//
// Thread-safety: pure functions.
#ifndef SOUNDSEARCH_TEXT_TERMS_H_
#define SOUNDSEARCH_TEXT_TERMS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace soundsearch {

// The words of `text`, lower-cased, in order, stop words included, not
// stemmed ("Hi-hat, open" -> {"hi", "hat", "open"}).
std::vector<std::string> SplitWords(absl::string_view text);

// True for the English function words that carry no sound: a, an, and,
// are, as, at, be, been, by, for, from, in, into, is, it, its, of, on, or,
// than, that, the, this, to, was, were, with.
bool IsStopWord(absl::string_view lower_word);

// The stem of one lower-cased word. Words of 3 letters or fewer are kept.
// Plurals: -ies -> -y ("flies" -> "fly"), -sses -> -ss, -es after s, x, z,
// ch, sh ("boxes" -> "box"), else a final -s unless after s, u or i
// ("dogs" -> "dog", "bass", "bus" kept). Then -ing, when what precedes it
// has 3 letters or more and a vowel (a, e, i, o, u, y): "barking" ->
// "bark", a doubled final consonant other than l, s, z halved ("drumming"
// -> "drum", "hissing" -> "hiss"; "string", "thing" kept). Then a final -e
// of a stem longer than 3 is dropped, so that "engine" / "engines" and
// "make" / "making" meet ("engin", "mak").
std::string StemTerm(absl::string_view lower_word);

// SplitWords, stop words dropped, each word stemmed ("Dogs barking in the
// rain" -> {"dog", "bark", "rain"}).
std::vector<std::string> TextTerms(absl::string_view text);

// TextTerms joined by single spaces: the key under which phrases that
// differ only in case, punctuation, stop words, plurals or -ing forms meet
// ("Violin, fiddle" and "violins fiddle" -> "violin fiddl").
std::string TermKey(absl::string_view text);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_TEXT_TERMS_H_
