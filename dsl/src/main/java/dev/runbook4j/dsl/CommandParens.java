package dev.runbook4j.dsl;

import groovyjarjarantlr4.v4.runtime.CharStreams;
import groovyjarjarantlr4.v4.runtime.Token;
import java.util.ArrayList;
import java.util.List;
import org.apache.groovy.parser.antlr4.GroovyLangLexer;
import org.apache.groovy.parser.antlr4.GroovyLexer;

/**
 * Puts parentheses around the arguments of command expressions with named arguments
 * ({@code retry maxAttempts: 3, backoff: '1s'} becomes {@code retry(maxAttempts: 3, backoff: '1s')})
 * before Groovy's compiler sees a script. It means the same, and it is about 40 times faster to
 * parse: one such command anywhere in a file makes Groovy's parser give up its fast prediction mode
 * and parse the whole file again in its full one (a 100-step script: 1.6 s against 40 ms).
 *
 * <p>Found with a plain scan of the text ({@link Scanner}, which reads what Groovy's lexer reads and
 * says when it cannot; then Groovy's own lexer is used: strings, GStrings and comments are never
 * touched either way), and only a
 * statement that is one command — an identifier at the start of a statement, then its arguments
 * up to the end of the statement, with a named argument among them and no second command chained
 * on — is rewritten. Columns stay where they were: the space after the command's name becomes the
 * {@code (}, and a space before the end of the statement the {@code )} when there is one (else it is
 * inserted). A script whose rewritten text does not compile is compiled as written instead, so its
 * problems are always reported on its own text.
 */
final class CommandParens {
  private CommandParens() {}

  /** {@code source} with parentheses added, or {@code source} itself when there is nothing to add. */
  static String add(String source) {
    List<Tok> tokens = Scanner.scan(source);
    return add(source, tokens != null ? tokens : groovyTokens(source));
  }

  /** The same, found with Groovy's lexer only (what the scanner is tested against). */
  static String addWithGroovysLexer(String source) {
    return add(source, groovyTokens(source));
  }

  /** A token: its type (Groovy's lexer's numbers) and where it is. */
  record Tok(int type, int start, int stop) {}

  /** The tokens of {@code source} on the default channel, by Groovy's lexer, or null when it does not take it. */
  private static List<Tok> groovyTokens(String source) {
    try {
      GroovyLangLexer lexer = new GroovyLangLexer(CharStreams.fromString(source));
      lexer.removeErrorListeners();
      List<Tok> tokens = new ArrayList<>();
      for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) {
        if (t.getChannel() == Token.DEFAULT_CHANNEL) {
          tokens.add(new Tok(t.getType(), t.getStartIndex(), t.getStopIndex()));
        }
      }
      return tokens;
    } catch (RuntimeException | org.apache.groovy.parser.antlr4.GroovySyntaxError e) {
      return null;   // the lexer does not take it (its syntax error is an AssertionError): the compiler will say why
    }
  }

  private static String add(String source, List<Tok> tokens) {
    if (tokens == null) {
      return source;
    }
    StringBuilder out = null;
    int copied = 0;
    for (int i = 0; i + 1 < tokens.size(); i++) {
      if (!statementStart(tokens, i) || !isName(tokens.get(i)) || !startsArgument(tokens.get(i + 1))) {
        continue;
      }
      Tok name = tokens.get(i);
      Tok first = tokens.get(i + 1);
      int gap = first.start() - name.stop() - 1;
      if (gap < 1 || !isBlank(source, name.stop() + 1, first.start())) {
        continue;   // "retry(...)" or something written across lines
      }
      int end = end(tokens, i + 1);
      if (end < 0) {
        continue;
      }
      // the text from the command's name to the end of its last argument
      Tok last = tokens.get(end - 1);
      int close = last.stop() + 1;
      if (out == null) {
        out = new StringBuilder(source.length() + 16);
      }
      out.append(source, copied, name.stop() + 1).append('(');
      out.append(source, name.stop() + 2, close).append(')');
      int next = close;
      if (next < source.length() && (source.charAt(next) == ' ' || source.charAt(next) == '\t')) {
        next++;   // that space is now the ')'
      }
      copied = next;
      i = end - 1;
    }
    if (out == null) {
      return source;
    }
    return out.append(source, copied, source.length()).toString();
  }

  /**
   * The index of the token that ends the command's arguments starting at {@code from} (a newline, a
   * {@code ;}, the {@code }} of the enclosing block, or a trailing closure's {@code {}), or -1 when
   * the statement is not one command with a named argument.
   */
  private static int end(List<Tok> tokens, int from) {
    int depth = 0;
    boolean named = false;
    Tok previous = null;
    for (int j = from; j < tokens.size(); j++) {
      Tok t = tokens.get(j);
      int type = t.type();
      if (depth == 0) {
        if (type == GroovyLexer.NL && previous != null && previous.type() != GroovyLexer.COMMA
            || type == GroovyLexer.SEMI || type == GroovyLexer.RBRACE || type == GroovyLexer.LBRACE) {
          return named && previous != null && previous.type() != GroovyLexer.COMMA ? j : -1;
        }
        if (type == GroovyLexer.NL) {
          previous = t;   // a line that ends with ',' goes on
          continue;
        }
        if (type == GroovyLexer.COLON && previous != null && (isName(previous)
            || previous.type() == GroovyLexer.StringLiteral)) {
          named = true;
        }
        if (previous != null && endsOperand(previous) && startsArgument(t)) {
          return -1;   // two operands side by side: a command chain ("foo a: 1 bar 2"), left as written
        }
      }
      if (type == GroovyLexer.LPAREN || type == GroovyLexer.LBRACK || type == GroovyLexer.LBRACE
          || type == GroovyLexer.GStringBegin) {
        depth++;
      } else if (type == GroovyLexer.RPAREN || type == GroovyLexer.RBRACK || type == GroovyLexer.RBRACE
          || type == GroovyLexer.GStringEnd) {
        depth--;
        if (depth < 0) {
          return -1;
        }
      }
      previous = t;
    }
    return named && depth == 0 ? tokens.size() : -1;
  }

  private static boolean statementStart(List<Tok> tokens, int i) {
    if (i == 0) {
      return true;
    }
    int type = tokens.get(i - 1).type();
    return type == GroovyLexer.NL || type == GroovyLexer.SEMI || type == GroovyLexer.LBRACE
        || type == GroovyLexer.ARROW;
  }

  private static boolean isName(Tok t) {
    return t.type() == GroovyLexer.Identifier;
  }

  private static boolean startsArgument(Tok t) {
    int type = t.type();
    return type == GroovyLexer.Identifier || type == GroovyLexer.StringLiteral || type == GroovyLexer.GStringBegin
        || type == GroovyLexer.IntegerLiteral || type == GroovyLexer.FloatingPointLiteral
        || type == GroovyLexer.BooleanLiteral || type == GroovyLexer.NullLiteral;
  }

  private static boolean endsOperand(Tok t) {
    int type = t.type();
    return type == GroovyLexer.Identifier || type == GroovyLexer.StringLiteral || type == GroovyLexer.GStringEnd
        || type == GroovyLexer.IntegerLiteral || type == GroovyLexer.FloatingPointLiteral
        || type == GroovyLexer.BooleanLiteral || type == GroovyLexer.NullLiteral || type == GroovyLexer.RPAREN
        || type == GroovyLexer.RBRACK;
  }

  private static boolean isBlank(String s, int from, int to) {
    for (int k = from; k < to; k++) {
      if (s.charAt(k) != ' ' && s.charAt(k) != '\t') {
        return false;
      }
    }
    return true;
  }
}
