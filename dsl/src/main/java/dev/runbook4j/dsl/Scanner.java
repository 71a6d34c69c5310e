package dev.runbook4j.dsl;

import dev.runbook4j.dsl.CommandParens.Tok;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.groovy.parser.antlr4.GroovyLexer;

/**
 * The tokens {@link CommandParens} needs, found by a plain scan of the text, where Groovy's lexer
 * (whose semantic predicates keep most of its states out of its DFA cache) cost as much as the
 * parser itself: the same types, at the same places, for the brackets, commas, colons, arrows,
 * semicolons, newlines (none inside parentheses or brackets; a line comment is one), names,
 * keywords, literals and GStrings of a script; anything else is one token of no interest.
 *
 * <p>It answers null — and Groovy's lexer is used — for any text whose reading is not plain: a
 * {@code /} outside a string or comment (division, or a slashy string: Groovy tells them apart by
 * what came before), a block comment, a backslash, {@code #}, a character outside ASCII outside a
 * string or comment, a lone carriage return, a {@code $} in a GString that is not {@code ${} or
 * {@code $name}, a newline in a {@code ${...}} or a one-line string, an unclosed string or
 * bracket. {@code CommandParensTests} checks it against Groovy's lexer on every script of the
 * repository and on generated ones.
 */
final class Scanner {
  private static final Set<String> KEYWORDS = Set.of("as", "def", "in", "trait", "threadsafe", "boolean", "char",
      "byte", "short", "int", "long", "float", "double", "abstract", "assert", "break", "case", "catch", "class",
      "const", "continue", "default", "do", "else", "enum", "extends", "final", "finally", "for", "if", "goto",
      "implements", "import", "instanceof", "interface", "native", "new", "package", "permits", "private",
      "protected", "public", "record", "return", "sealed", "static", "strictfp", "super", "switch", "synchronized",
      "this", "throw", "throws", "transient", "try", "var", "void", "volatile", "while", "yield");
  /** A token of no interest to the parentheses pass (an operator, a keyword, a dot). */
  static final int OTHER = -1;

  private final String s;
  private final List<Tok> out = new ArrayList<>();
  private int i;

  private Scanner(String s) {
    this.s = s;
  }

  /** The tokens of {@code source}, or null when its reading is not plain (see the class comment). */
  static List<Tok> scan(String source) {
    Scanner sc = new Scanner(source);
    return sc.code('\0') && sc.i >= source.length() ? sc.out : null;
  }

  /**
   * Scans code up to {@code close} (a {@code )}, {@code ]} or {@code }} it emits, or the end when
   * {@code \0}); false when the text is not plain.
   */
  private boolean code(char close) {
    boolean nlVisible = close == '\0' || close == '}';
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\f') {
        i++;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && (i + 1 >= s.length() || s.charAt(i + 1) != '\n')) {
          return false;
        }
        int at = i;
        i += c == '\r' ? 2 : 1;
        if (nlVisible) {
          out.add(new Tok(GroovyLexer.NL, at, i - 1));
        }
      } else if (c == '/') {
        if (i + 1 < s.length() && s.charAt(i + 1) == '/') {
          int at = i;
          while (i < s.length() && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
            i++;
          }
          if (nlVisible) {
            out.add(new Tok(GroovyLexer.NL, at, i - 1));
          }
        } else {
          return false;   // division, a slashy string or a block comment
        }
      } else if (c == '(' || c == '[' || c == '{') {
        out.add(new Tok(c == '(' ? GroovyLexer.LPAREN : c == '[' ? GroovyLexer.LBRACK : GroovyLexer.LBRACE, i, i));
        i++;
        char want = c == '(' ? ')' : c == '[' ? ']' : '}';
        if (!code(want)) {
          return false;
        }
      } else if (c == ')' || c == ']' || c == '}') {
        if (c != close) {
          return false;
        }
        out.add(new Tok(c == ')' ? GroovyLexer.RPAREN : c == ']' ? GroovyLexer.RBRACK : GroovyLexer.RBRACE, i, i));
        i++;
        return true;
      } else if (c == '\'' || c == '"') {
        if (!string(c)) {
          return false;
        }
      } else if (Character.isDigit(c)) {
        number();
      } else if (c == '_' || c == '$' || (c < 128 && Character.isLetter(c))) {
        name(true);
      } else if (c >= 128 || c == '\\' || c == '#' || c == '`') {
        return false;
      } else if (!operator(c)) {
        return false;
      }
    }
    return close == '\0';
  }

  private boolean operator(char c) {
    char next = i + 1 < s.length() ? s.charAt(i + 1) : '\0';
    if (c == '-' && next == '>') {
      out.add(new Tok(GroovyLexer.ARROW, i, i + 1));
      i += 2;
    } else if (c == '?' && next == '[') {
      return false;   // Groovy's ?[ is one token: its ] is not matched the way a [ is
    } else if ((c == '?' || c == ':') && next == ':') {
      out.add(new Tok(OTHER, i, i + 1));   // ?: and :: are not a colon
      i += 2;
    } else {
      int type = c == ',' ? GroovyLexer.COMMA : c == ';' ? GroovyLexer.SEMI : c == ':' ? GroovyLexer.COLON : OTHER;
      out.add(new Tok(type, i, i));
      i++;
    }
    return true;
  }

  /** A name or keyword; in a GString ({@code dollar} false) a {@code $} begins the next value. */
  private void name(boolean dollar) {
    int at = i;
    while (i < s.length() && isNamePart(s.charAt(i)) && (dollar || s.charAt(i) != '$')) {
      i++;
    }
    String n = s.substring(at, i);
    int type = n.equals("true") || n.equals("false") ? GroovyLexer.BooleanLiteral
        : n.equals("null") ? GroovyLexer.NullLiteral : KEYWORDS.contains(n) ? OTHER
        : Character.isUpperCase(n.charAt(0)) ? GroovyLexer.CapitalizedIdentifier : GroovyLexer.Identifier;
    out.add(new Tok(type, at, i - 1));
  }

  private static boolean isNamePart(char c) {
    return c == '_' || c == '$' || (c < 128 && Character.isLetterOrDigit(c));
  }

  /** A number (integer or floating point: the pass treats them alike), suffixes and exponents included. */
  private void number() {
    int at = i;
    digits();
    if (i + 1 < s.length() && s.charAt(i) == '.' && Character.isDigit(s.charAt(i + 1))) {
      i++;
      digits();
    }
    char last = s.charAt(i - 1);
    if ((last == 'e' || last == 'E') && i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
      digits();
    }
    out.add(new Tok(GroovyLexer.IntegerLiteral, at, i - 1));
  }

  private void digits() {
    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) && s.charAt(i) < 128 || s.charAt(i) == '_')) {
      i++;
    }
  }

  /** A string from its opening quote: one token, or a GString's begin, its values' tokens and its end. */
  private boolean string(char quote) {
    int at = i;
    boolean triple = s.startsWith(String.valueOf(quote).repeat(3), i);
    i += triple ? 3 : 1;
    boolean gstring = false;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (!triple && (c == '\n' || c == '\r')) {
        return false;
      } else if (c == quote && (!triple || s.startsWith(String.valueOf(quote).repeat(3), i))) {
        int end = i + (triple ? 2 : 0);
        i = end + 1;
        out.add(gstring ? new Tok(GroovyLexer.GStringEnd, end - (triple ? 2 : 0), end)
            : new Tok(GroovyLexer.StringLiteral, at, end));
        return true;
      } else if (c == '$' && quote == '"') {
        if (!gstring) {
          out.add(new Tok(GroovyLexer.GStringBegin, at, i));
          gstring = true;
        }
        char next = i + 1 < s.length() ? s.charAt(i + 1) : '\0';
        if (next == '{') {
          out.add(new Tok(GroovyLexer.LBRACE, i + 1, i + 1));
          i += 2;
          int from = out.size();
          if (!code('}')) {
            return false;
          }
          for (int k = from; k < out.size(); k++) {
            if (out.get(k).type() == GroovyLexer.NL) {
              return false;   // a newline in a value: Groovy's reading of it is not checked here
            }
          }
        } else if (next == '_' || (next < 128 && Character.isLetter(next))) {
          i++;
          name(false);
          while (i + 1 < s.length() && s.charAt(i) == '.' && (s.charAt(i + 1) == '_'
              || (s.charAt(i + 1) < 128 && Character.isLetter(s.charAt(i + 1))))) {
            int part = i;
            i++;
            while (i < s.length() && isNamePart(s.charAt(i)) && s.charAt(i) != '$') {
              i++;
            }
            out.add(new Tok(OTHER, part, i - 1));
          }
        } else {
          return false;
        }
      } else {
        i++;
      }
    }
    return false;   // not closed
  }
}
