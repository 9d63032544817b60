/* The vocabulary of builtin:repeats, written for this project: "[UNK]", punctuation, then common
 * English words in lower case (the word pieces of contractions too: "didn't" is "didn", "'",
 * "t"), so that a person can type ordinary sentences to a model trained on it. The list is in a
 * fixed order; a smaller vocabulary takes its first entries. */
#include "corpus.h"

/* clang-format off */
static const char *const WORDS[] = {
    "[UNK]", ".", ",", "!", "?", "'", "\"", ";", ":", "-", "(", ")",
    "the", "a", "an", "and", "or", "but", "if", "because", "so", "then", "than", "that", "this",
    "these", "those", "there", "here", "what", "which", "who", "whom", "whose", "when", "where",
    "why", "how", "not", "no", "yes", "of", "to", "in", "on", "at", "by", "for", "with", "from",
    "up", "down", "out", "off", "over", "under", "into", "onto", "about", "after", "before",
    "again", "around", "between", "through", "across", "along", "behind", "near", "far", "above",
    "below", "inside", "outside", "without", "until", "while", "since", "as", "like", "all",
    "some", "any", "many", "much", "more", "most", "few", "little", "less", "each", "every",
    "both", "other", "another", "same", "such", "only", "own", "very", "too", "also", "just",
    "even", "still", "already", "never", "always", "often", "sometimes", "once", "twice", "now",
    "today", "tomorrow", "yesterday", "soon", "later", "early", "late", "ago", "away", "back",
    "together", "alone", "i", "me", "my", "mine", "you", "your", "yours", "he", "him", "his",
    "she", "her", "hers", "it", "its", "we", "us", "our", "they", "them", "their", "myself",
    "yourself", "himself", "herself", "itself", "themselves", "someone", "something", "nothing",
    "everyone", "everything", "anyone", "anything", "is", "am", "are", "was", "were", "be",
    "been", "being", "have", "has", "had", "do", "does", "did", "done", "will", "would", "can",
    "could", "shall", "should", "may", "might", "must", "didn", "doesn", "don", "isn", "wasn",
    "aren", "weren", "won", "wouldn", "couldn", "shouldn", "hasn", "haven", "t", "s", "ll", "ve",
    "re", "m", "d", "go", "goes", "went", "gone", "come", "came", "get", "got", "make", "made",
    "take", "took", "give", "gave", "see", "saw", "seen", "look", "looked", "know", "knew",
    "think", "thought", "say", "said", "tell", "told", "ask", "asked", "want", "wanted", "need",
    "use", "find", "found", "keep", "kept", "leave", "left", "put", "bring", "brought", "call",
    "called", "try", "tried", "turn", "turned", "start", "stop", "open", "close", "run", "ran",
    "walk", "walked", "sit", "sat", "stand", "stood", "lie", "lay", "sleep", "slept", "eat",
    "ate", "drink", "play", "played", "read", "write", "wrote", "sing", "sang", "talk", "listen",
    "hear", "heard", "feel", "felt", "love", "loved", "liked", "help", "helped", "live",
    "lived", "work", "worked", "learn", "learned", "teach", "taught", "show", "showed", "move",
    "moved", "cross", "crossed", "fit", "fall", "fell", "fly", "flew", "swim", "jump", "climb",
    "build", "built", "cut", "carry", "hold", "held", "pull", "push", "throw", "catch", "buy",
    "sell", "pay", "send", "wait", "watch", "laugh", "cry", "smile", "wish", "hope", "grow",
    "stay", "stayed", "deposit", "time", "day", "night", "morning", "evening", "week", "year",
    "people", "person", "man", "woman", "child", "children", "boy", "girl", "baby", "friend",
    "mother", "father", "sister", "brother", "family", "king", "queen", "teacher", "student",
    "doctor", "farmer", "name", "animal", "cat", "dog", "bird", "fish", "horse", "cow", "pig",
    "sheep", "mouse", "fox", "wolf", "bear", "lion", "rabbit", "duck", "frog", "bee", "tree",
    "flower", "rose", "grass", "leaf", "garden", "forest", "river", "sea", "lake", "water",
    "rain", "snow", "wind", "sun", "moon", "star", "sky", "cloud", "fire", "stone", "hill",
    "mountain", "field", "road", "street", "city", "town", "village", "house", "home", "room",
    "door", "window", "wall", "table", "chair", "bed", "cabinet", "box", "bag", "suitcase",
    "trophy", "book", "letter", "word", "words", "story", "song", "picture", "paper", "pen",
    "key", "keys", "money", "bank", "shop", "school", "car", "boat", "train", "ship", "bread",
    "milk", "apple", "cake", "food", "tea", "cup", "ball", "game", "toy", "hat", "coat", "shoe",
    "mat", "head", "hand", "hands", "eye", "eyes", "face", "heart", "foot", "world", "place",
    "thing", "things", "way", "part", "side", "end", "top", "bottom", "line", "number",
    "question", "answer", "idea", "good", "bad", "big", "small", "large", "long", "short",
    "tall", "old", "new", "young", "first", "last", "next", "best", "better", "happy", "sad",
    "tired", "hungry", "angry", "afraid", "kind", "brave", "wise", "clever", "quiet", "loud",
    "fast", "slow", "hot", "cold", "warm", "dark", "light", "bright", "red", "blue", "green",
    "yellow", "white", "black", "brown", "wide", "high", "low", "full", "empty", "easy", "hard",
    "right", "wrong", "true", "real", "sure", "ready", "free", "whole", "one", "two", "three",
    "four", "five", "six", "seven", "eight", "nine", "ten", "hundred", "0", "1", "2", "3", "4",
    "5", "6", "7", "8", "9", "upon", "lily", "tom", "anna", "ben", "sam", "mia",
};
/* clang-format on */

const char *const *ats_tr_words(int *count) {
    *count = (int)(sizeof WORDS / sizeof WORDS[0]);
    return WORDS;
}
