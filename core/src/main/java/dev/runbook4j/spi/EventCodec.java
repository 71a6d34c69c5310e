package dev.runbook4j.spi;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.Scrubber;
import dev.runbook4j.Secret;
import java.io.IOException;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Events as JSON, the one form every journal writes: {@code {"type":"StepStarted","runId":...}}.
 * The type is the record's simple name; step outputs are written as plain JSON values and read
 * back as JSON types (maps, lists, strings, numbers), which the engine converts to the step's
 * output type when it needs them. A journal of a third party uses it to store the same JSON as
 * the journals of this library.
 *
 * <p>This class is threadsafe.
 *
 * @since 0.2
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.2")
public final class EventCodec {
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  private interface Polymorphic {}

  private static final ObjectMapper MAPPER = mapper();

  private EventCodec() {}

  private static ObjectMapper mapper() {
    ObjectMapper m = JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .addMixIn(RunEvent.class, Polymorphic.class)
        .addModule(secrets())
        .build();
    for (Class<?> type : RunEvent.class.getPermittedSubclasses()) {
      m.registerSubtypes(new NamedType(type, type.getSimpleName()));
    }
    return m;
  }

  /** A {@link Secret} is written as its mask and read back as null: its value is never stored, so it must be given again. */
  private static Module secrets() {
    SimpleModule m = new SimpleModule(
        "runbook4j-secrets");
    m.addSerializer(Secret.class, new JsonSerializer<>() {
      @Override
      public void serialize(Secret value, JsonGenerator gen,
          SerializerProvider provider) throws IOException {
        gen.writeString(Secret.MASK);
      }
    });
    m.addDeserializer(Secret.class, new JsonDeserializer<>() {
      @Override
      public Secret deserialize(JsonParser p,
          DeserializationContext ctx) throws IOException {
        p.skipChildren();
        return null;
      }
    });
    return m;
  }

  /**
   * {@code value} (an output, normalised already) with every string in it — a map's keys too —
   * scrubbed of {@code scrubber}'s secrets, in the same type; {@code value} itself when nothing in
   * it shows a secret.
   */
  public static Object scrubbed(Object value, Scrubber scrubber) {
    if (value == null || scrubber.isEmpty() || value instanceof Boolean || value instanceof Number) {
      return value;
    }
    if (value instanceof String s) {
      return scrubber.scrub(s);
    }
    JsonNode tree = MAPPER.valueToTree(value);
    JsonNode clean = scrubbed(tree, scrubber);
    if (clean == tree) {
      return value;
    }
    Class<?> type = value instanceof Map || value instanceof Collection ? Object.class
        : value.getClass();
    try {
      return MAPPER.treeToValue(clean, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return MAPPER.convertValue(clean, Object.class);  // the masked text does not fit the type: its JSON shape
    }
  }

  /** {@code node}, or a copy with its strings scrubbed when one showed a secret. */
  private static JsonNode scrubbed(JsonNode node,
      Scrubber scrubber) {
    if (node.isTextual()) {
      String t = scrubber.scrub(node.textValue());
      return t.equals(node.textValue()) ? node : TextNode.valueOf(t);
    }
    if (node.isArray()) {
      ArrayNode copy = null;
      for (int i = 0; i < node.size(); i++) {
        JsonNode c = scrubbed(node.get(i), scrubber);
        if (c != node.get(i) && copy == null) {
          copy = ((ArrayNode) node).deepCopy();
        }
        if (copy != null) {
          copy.set(i, c);
        }
      }
      return copy == null ? node : copy;
    }
    if (node.isObject()) {
      boolean changed = false;
      ObjectNode copy = MAPPER.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields();
          it.hasNext();) {
        Map.Entry<String, JsonNode> f = it.next();
        String k = scrubber.scrub(f.getKey());
        JsonNode c = scrubbed(f.getValue(), scrubber);
        changed |= !k.equals(f.getKey()) || c != f.getValue();
        copy.set(k, c);
      }
      return changed ? copy : node;
    }
    return node;
  }

  /**
   * {@code value} as the journal will give it back: an output of type {@code type} read back from
   * its JSON ({@code Object}: the JSON shape — maps, lists, strings, numbers, booleans). What user
   * code hands the engine is normalised once, where it enters, so that every later reader (a later
   * step, a compensation, a run rebuilt from its journal) sees the same value.
   *
   * @throws IllegalArgumentException when the value cannot be written as JSON, or read back as a {@code type}
   */
  public static Object normalise(Object value, Class<?> type) {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
        || value instanceof Double) {
      return type == Object.class || type.isInstance(value) ? value : MAPPER.convertValue(value, type);
    }
    Class<?> target = type == Void.class ? Object.class : type;
    try {
      // through the JSON the journal writes (maps' keys in order), and back: the value a reader of the
      // journal gets, to the order of a map's entries
      String json = MAPPER.writeValueAsString(MAPPER.convertValue(value, Object.class));
      return MAPPER.readValue(json, target);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }

  /**
   * {@code value}, read from a journal (a JSON shape), as a {@code type}; {@code Object} keeps the shape.
   *
   * @throws JournalException when it cannot be read as one
   */
  public static Object convert(Object value, Class<?> type) {
    if (value == null || type == Object.class || type.isInstance(value)) {
      return value;
    }
    try {
      return MAPPER.convertValue(value, type);
    } catch (IllegalArgumentException e) {
      throw new JournalException("A journaled output " + value + " cannot be read as a " + type.getSimpleName()
          + ": " + e.getMessage(), e);
    }
  }

  /** {@code value} (parameters, a plan's attributes) as JSON, its maps' keys in order. */
  public static String json(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("A value of type " + value.getClass().getName() + " cannot be written as"
          + " JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * {@code value} (maps, lists, strings) as compact JSON with its maps' entries in their own order:
   * a canonical form to hash when the maps are built in a stable order (a plan's structure).
   */
  public static String inOrder(Object value) {
    try {
      return MAPPER.writer().without(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("A value of type " + value.getClass().getName() + " cannot be written as"
          + " JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** {@code value} as indented JSON, its maps' entries in their own order. */
  public static String prettyInOrder(Object value) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().without(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("A value of type " + value.getClass().getName() + " cannot be written as"
          + " JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The JSON shape (maps, lists, strings, numbers, booleans, null) of {@code json}. */
  public static Object parse(String json) {
    try {
      return MAPPER.readValue(json, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Not JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * A run's parameters read back from their journaled JSON as a {@code type} ({@code Void}: null).
   *
   * @throws JournalException when they cannot be read as one
   */
  public static <P> P params(String json, Class<P> type) {
    if (type == Void.class) {
      return null;
    }
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new JournalException("The journaled parameters " + json + " cannot be read as a " + type.getSimpleName()
          + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * {@code event} as JSON.
   *
   * @throws JournalException when it cannot be written (a step output that is not serialisable)
   */
  public static String write(RunEvent event) {
    try {
      return MAPPER.writerFor(RunEvent.class).writeValueAsString(event);
    } catch (JsonProcessingException e) {
      throw new JournalException("Event " + event.getClass().getSimpleName() + " of run " + event.runId()
          + " cannot be written as JSON: " + e.getOriginalMessage() + " (is a step output not serialisable?)", e);
    }
  }

  /**
   * The event that {@code json} holds, the {@code seq}-th of run {@code runId} (both name it in errors).
   *
   * @throws JournalException when it cannot be read
   */
  public static RunEvent read(String json, String runId, long seq) {
    try {
      return MAPPER.readValue(json, RunEvent.class);
    } catch (JsonProcessingException e) {
      throw new JournalException("Event " + seq + " of run " + runId + " cannot be read: " + e.getOriginalMessage(), e);
    }
  }
}
