package dev.runbook4j.spi;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.jsontype.NamedType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
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
        .addMixIn(RunEvent.class, Polymorphic.class)
        .build();
    for (Class<?> type : RunEvent.class.getPermittedSubclasses()) {
      m.registerSubtypes(new NamedType(type, type.getSimpleName()));
    }
    return m;
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
