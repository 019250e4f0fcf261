// See harnet_on_device.h. Mirrored operation for operation by firmware_bridge/on_device.py.
#include "harnet_on_device.h"

#include <math.h>

#define PROFILE_VERSION 1

void harnet_window_push(harnet_window *w, const int16_t xyz[3]) {
  int16_t *slot = w->counts[w->written % HARNET_WINDOW_SAMPLES];
  slot[0] = xyz[0];
  slot[1] = xyz[1];
  slot[2] = xyz[2];
  w->written++;
}

int harnet_window_ready(const harnet_window *w, uint32_t hop) {
  return w->written >= HARNET_WINDOW_SAMPLES && hop > 0 && (w->written - HARNET_WINDOW_SAMPLES) % hop == 0;
}

void harnet_window_quantise(const harnet_window *w, int8_t *input, float counts_per_g, float input_scale,
                            int input_zero_point) {
  for (uint32_t t = 0; t < HARNET_WINDOW_SAMPLES; t++) {
    const int16_t *slot = w->counts[(w->written + t) % HARNET_WINDOW_SAMPLES];   /* oldest first */
    for (int axis = 0; axis < 3; axis++) {
      float g = (float)slot[axis] / counts_per_g;
      float q = floorf(g / input_scale + 0.5f) + (float)input_zero_point;
      input[axis * HARNET_WINDOW_SAMPLES + t] = (int8_t)(q < -128.0f ? -128.0f : (q > 127.0f ? 127.0f : q));
    }
  }
}

void harnet_label_confidence(const int16_t *logits, int n, float output_scale, int output_zero_point,
                             uint8_t *label, uint8_t *confidence) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (logits[i] > logits[best]) best = i;
  float top = ((float)logits[best] - (float)output_zero_point) * output_scale;
  float total = 0.0f;
  for (int i = 0; i < n; i++) total += expf(((float)logits[i] - (float)output_zero_point) * output_scale - top);
  *label = (uint8_t)best;
  *confidence = (uint8_t)floorf(255.0f / total + 0.5f);
}

int harnet_label_packet(uint8_t out[HARNET_LABEL_PACKET_BYTES], uint16_t sequence, uint32_t end_ms,
                        uint8_t label, uint8_t confidence, uint8_t flags) {
  out[0] = PROFILE_VERSION;
  out[1] = sequence & 0xFF;
  out[2] = sequence >> 8;
  for (int i = 0; i < 4; i++) out[3 + i] = (end_ms >> (8 * i)) & 0xFF;
  out[7] = label;
  out[8] = confidence;
  out[9] = flags;
  return HARNET_LABEL_PACKET_BYTES;
}
