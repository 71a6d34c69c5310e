package dev.runbook4j;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * Masks secret values in text: each secret's value and its common encodings — JSON string
 * escaping, URL encoding (form and path style), hex (either case), base64 standard and URL-safe
 * (with and without padding, and inside a longer base64 text at any byte offset, as in an
 * {@code Authorization: Basic} header) — are replaced by {@value Secret#MASK}. Immutable and
 * threadsafe; {@link #NONE} masks nothing and costs nothing.
 *
 * <p>The engine scrubs every string that leaves user code with the scrubber of the run's secrets
 * before it is journaled, logged or handed to a listener; the command line scrubs what it prints.
 * Encoded forms are looked for only for secrets of four characters or more (a shorter value's
 * encodings are too common a text to mask).
 *
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public final class Scrubber {
  /** A scrubber without secrets. */
  public static final Scrubber NONE = new Scrubber(List.of());

  /** Encodings of a secret are looked for from this length on. */
  private static final int ENCODED_FROM = 4;

  /** The texts to mask, longest first (a longer form masked before a shorter one inside it). */
  private final List<String> forms;

  private Scrubber(List<String> forms) {
    this.forms = forms;
  }

  /** A scrubber of {@code secrets}' values. */
  public static Scrubber of(Collection<Secret> secrets) {
    List<String> values = new ArrayList<>();
    secrets.forEach(s -> values.add(s.reveal()));
    return ofValues(values);
  }

  /** A scrubber of these values (each non-empty). */
  public static Scrubber ofValues(Collection<String> values) {
    if (values.isEmpty()) {
      return NONE;
    }
    Set<String> forms = new LinkedHashSet<>();
    for (String v : values) {
      if (v == null || v.isEmpty()) {
        continue;
      }
      forms.add(v);
      forms.add(jsonEscaped(v));
      if (v.length() >= ENCODED_FROM) {
        String form = URLEncoder.encode(v, StandardCharsets.UTF_8);
        forms.add(form);
        forms.add(form.replace("+", "%20"));
        byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
        forms.add(HexFormat.of().formatHex(bytes));
        forms.add(HexFormat.of().withUpperCase().formatHex(bytes));
        base64(bytes, Base64.getEncoder(), forms);
        base64(bytes, Base64.getUrlEncoder(), forms);
      }
    }
    forms.remove("");
    List<String> sorted = new ArrayList<>(forms);
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    return new Scrubber(List.copyOf(sorted));
  }

  /** This scrubber and {@code other}'s secrets together. */
  public Scrubber and(Scrubber other) {
    if (other.forms.isEmpty()) {
      return this;
    }
    if (forms.isEmpty()) {
      return other;
    }
    Set<String> all = new LinkedHashSet<>(forms);
    all.addAll(other.forms);
    List<String> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    return new Scrubber(List.copyOf(sorted));
  }

  /** Whether it masks nothing. */
  public boolean isEmpty() {
    return forms.isEmpty();
  }

  /** {@code text} with every form of every secret masked; {@code text} itself when none is in it (null stays null). */
  public String scrub(String text) {
    if (text == null || forms.isEmpty()) {
      return text;
    }
    String out = text;
    for (String f : forms) {
      if (out.contains(f)) {
        out = out.replace(f, Secret.MASK);
      }
    }
    return out;
  }

  /**
   * How many characters at the end of {@code text} could be the start of a masked form: a stream
   * that writes {@code text} before its line ends holds these back, so that a secret printed in
   * pieces is still masked when its last piece comes.
   *
   * @since 0.7
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.7")
  public int heldBack(String text) {
    int most = 0;
    for (String f : forms) {
      for (int k = Math.min(f.length() - 1, text.length()); k > most; k--) {
        if (text.regionMatches(text.length() - k, f, 0, k)) {
          most = k;
          break;
        }
      }
    }
    return most;
  }

  /** Whether {@code text} holds a form of a secret. */
  public boolean reveals(String text) {
    if (text == null) {
      return false;
    }
    for (String f : forms) {
      if (text.contains(f)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code t} itself when no message, cause or suppressed exception of it shows a secret; else a
   * copy of the whole chain whose every message is scrubbed: {@link ScrubbedException}s that keep
   * each original's class name, stack trace, causes and suppressed exceptions.
   */
  public Throwable scrub(Throwable t) {
    if (t == null || forms.isEmpty() || !shows(t, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()))) {
      return t;
    }
    return copy(t, new java.util.IdentityHashMap<>());
  }

  private boolean shows(Throwable t, Set<Throwable> seen) {
    if (!seen.add(t)) {
      return false;
    }
    if (reveals(t.getMessage()) || reveals(t.toString())) {
      return true;
    }
    for (Throwable s : t.getSuppressed()) {
      if (shows(s, seen)) {
        return true;
      }
    }
    return t.getCause() != null && shows(t.getCause(), seen);
  }

  private Throwable copy(Throwable t, java.util.Map<Throwable, Throwable> done) {
    Throwable known = done.get(t);
    if (known != null) {
      return known;
    }
    ScrubbedException c = new ScrubbedException(t.getClass().getName(), scrub(t.getMessage()));
    done.put(t, c);
    c.setStackTrace(t.getStackTrace());
    if (t.getCause() != null) {
      c.initCause(copy(t.getCause(), done));
    }
    for (Throwable s : t.getSuppressed()) {
      c.addSuppressed(copy(s, done));
    }
    return c;
  }

  private static void base64(byte[] bytes, Base64.Encoder enc, Set<String> forms) {
    String whole = enc.encodeToString(bytes);
    forms.add(whole);
    forms.add(stripPadding(whole));
    // the secret at byte offset 1 and 2 of a longer text: the characters that only its bytes decide
    for (int k = 0; k < 3; k++) {
      byte[] shifted = new byte[k + bytes.length];
      System.arraycopy(bytes, 0, shifted, k, bytes.length);
      String s = stripPadding(enc.encodeToString(shifted));
      int lead = k == 0 ? 0 : k == 1 ? 2 : 3;
      int tailBytes = (k + bytes.length) % 3;
      int trail = tailBytes == 0 ? 0 : tailBytes + 1;  // a partial last group: what follows decides some of it
      if (s.length() - lead - trail >= 6) {
        forms.add(s.substring(lead, s.length() - trail));
      }
    }
  }

  private static String stripPadding(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '=') {
      end--;
    }
    return s.substring(0, end);
  }

  /** {@code v} as it reads inside a JSON string (the escapes Jackson writes). */
  private static String jsonEscaped(String v) {
    StringBuilder b = new StringBuilder(v.length() + 8);
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04X", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /**
   * An exception whose message showed a secret, copied with the message scrubbed: it reads as the
   * original did ({@code class name: message}), with the original's stack trace.
   *
   * @since 0.2
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.2")
  public static final class ScrubbedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String originalClass;

    ScrubbedException(String originalClass, String message) {
      super(message);
      this.originalClass = originalClass;
    }

    /** The class of the exception this copies. */
    public String originalClass() {
      return originalClass;
    }

    /** The simple name of the class of the exception this copies (a nested class's without its outer one). */
    public String originalSimpleName() {
      return originalClass.substring(Math.max(originalClass.lastIndexOf('.'), originalClass.lastIndexOf('$')) + 1);
    }

    @Override
    public String toString() {
      String m = getLocalizedMessage();
      return m == null ? originalClass : originalClass + ": " + m;
    }
  }
}
