// On-device classification for the harnet-edge reference profile (firmware_bridge/PROFILE.md):
// the 30 Hz window, its int8 quantisation and the label packet, in plain C99 so that the host
// tests compile this very file with gcc and compare its bytes with the software twin's.
// The TensorFlow Lite Micro call itself lives in harnet_wearable.ino.
#ifndef HARNET_ON_DEVICE_H
#define HARNET_ON_DEVICE_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#ifndef HARNET_WINDOW_SAMPLES
#define HARNET_WINDOW_SAMPLES 300          /* 10 s at 30 Hz; must equal HARNET_MODEL_WINDOW_SAMPLES */
#endif
#define HARNET_LABEL_PACKET_BYTES 10
#define HARNET_LABEL_WITHHELD 0xFF
#define HARNET_FLAG_FIRST_AFTER_BOOT 0x01
#define HARNET_FLAG_BACKLOG_OVERFLOW 0x02

typedef struct {
  int16_t counts[HARNET_WINDOW_SAMPLES][3];   /* ring of IMU counts at 30 Hz: 1,800 bytes */
  uint32_t written;                           /* samples pushed since power-on */
} harnet_window;

void harnet_window_push(harnet_window *w, const int16_t xyz[3]);
/* True when the sample just pushed ends a window (every `hop` samples once the ring is full). */
int harnet_window_ready(const harnet_window *w, uint32_t hop);
/* Oldest to newest, axis-major (input[axis * T + t]): q = floor(counts / cpg / scale + 0.5) + zp, clamped. */
void harnet_window_quantise(const harnet_window *w, int8_t *input, float counts_per_g, float input_scale,
                            int input_zero_point);
/* argmax of the logits and round(255 x its softmax probability), float32 throughout. The logits are
   the output tensor's counts widened to int16: int8 logits (data.int8) or int16 ones (data.i16). */
void harnet_label_confidence(const int16_t *logits, int n, float output_scale, int output_zero_point,
                             uint8_t *label, uint8_t *confidence);
/* The 10-byte label packet; returns its length. */
int harnet_label_packet(uint8_t out[HARNET_LABEL_PACKET_BYTES], uint16_t sequence, uint32_t end_ms,
                        uint8_t label, uint8_t confidence, uint8_t flags);

#ifdef __cplusplus
}
#endif
#endif
