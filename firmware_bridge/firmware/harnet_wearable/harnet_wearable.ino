// harnet-edge reference profile v1 (firmware_bridge/PROFILE.md) for nRF52840 boards with an
// on-board LSM6DS3/LSM6DS3TR-C IMU (Arduino Nano 33 BLE Sense Rev2 has a BMI270: swap the driver;
// Seeed XIAO nRF52840 Sense: LSM6DS3TR-C) and ESP32-S3 with an external LSM6DS3 on I2C.
// Libraries: ArduinoBLE, Seeed_Arduino_LSM6DS3 (or your IMU's). Not built in CI: no toolchain here
// (the on-device window/label code, harnet_on_device.c, is compiled and checked by the host tests).
//
// On-device classification (HARNET_ON_DEVICE 1): also needs a TensorFlow Lite Micro library for
// Arduino (e.g. Chirale_TensorFlowLite) and the model files written by
// `harnet-edge export MODEL --int8 --formats tflm`: copy <stem>.h/.c here as harnet_model.h/.c
// (rename the #include in the .c). The sketch samples the IMU at 30 Hz on its own clock, classifies
// every window and notifies 10-byte label packets on the on-device service (PROFILE.md), keeping
// the last BACKLOG_LABELS labels while no central listens.
#ifndef HARNET_ON_DEVICE
#define HARNET_ON_DEVICE 0
#endif
#include <ArduinoBLE.h>
#include <LSM6DS3.h>
#include <Wire.h>
#if HARNET_ON_DEVICE
#include <TensorFlowLite.h>
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "harnet_model.h"
#include "harnet_on_device.h"
// harnet_on_device.c is compiled on its own with the header's window: a different model window
// would give the two files different struct sizes, so edit HARNET_WINDOW_SAMPLES there instead.
static_assert(HARNET_WINDOW_SAMPLES == HARNET_MODEL_WINDOW_SAMPLES, "set HARNET_WINDOW_SAMPLES in harnet_on_device.h");
#endif

static const uint8_t PROFILE_VERSION = 1;
static const uint16_t RATE_CENTI_HZ = 5200;   // 52 Hz: an IMU output data rate >= 30 Hz
static const uint16_t COUNTS_PER_G = 4096;    // int16 counts for +-8 g
static const uint8_t RANGE_G = 8;
static const uint8_t MAX_SAMPLES = 31;

BLEService service("7b1e0001-5c3a-4f8e-9d2b-6a4e8c1f0a11");
BLECharacteristic dataChar("7b1e0002-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLENotify, 7 + 6 * MAX_SAMPLES);
BLECharacteristic infoChar("7b1e0003-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLERead, 8);
BLECharacteristic controlChar("7b1e0004-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLEWrite, 3);
LSM6DS3 imu(I2C_MODE, 0x6A);

uint8_t packet[7 + 6 * MAX_SAMPLES];
uint8_t count = 0;
uint16_t sequence = 0;
uint32_t firstSampleMicros = 0;
bool streaming = false;
uint32_t nextSampleMicros = 0;

static void put16(uint8_t *p, uint16_t v) { p[0] = v & 0xFF; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xFF; }

static uint8_t samplesPerPacket() {
  // 20-byte payload at the default MTU -> 2 samples; more once the central raises the MTU.
  int payload = BLE.central() ? (int)BLE.central().mtu() - 3 : 20;   // mtu(): ArduinoBLE >= 1.3
  int n = (payload - 7) / 6;
  return n < 1 ? 1 : (n > MAX_SAMPLES ? MAX_SAMPLES : n);
}

static void onControl(BLEDevice, BLECharacteristic c) {
  const uint8_t *v = c.value();
  if (c.valueLength() >= 1 && v[0] == 0x01) { streaming = true; count = 0; }
  if (c.valueLength() >= 1 && v[0] == 0x02) { streaming = false; }
  // 0x03 set rate: this sketch keeps its fixed rate; the host re-reads stream info.
}

#if HARNET_ON_DEVICE
static const uint8_t BACKLOG_LABELS = 64;               // 640 bytes: ~10 minutes without a central
static const uint32_t HOP_SAMPLES = HARNET_MODEL_WINDOW_SAMPLES;   // one label per 10 s window
BLEService onDeviceService("7b1e0010-5c3a-4f8e-9d2b-6a4e8c1f0a11");
BLECharacteristic labelChar("7b1e0011-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLENotify, HARNET_LABEL_PACKET_BYTES);
BLECharacteristic modelInfoChar("7b1e0012-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLERead, 512);
BLECharacteristic labelControlChar("7b1e0013-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLEWrite, 1);

alignas(16) static uint8_t arena[HARNET_MODEL_ARENA_BYTES];
static tflite::MicroMutableOpResolver<HARNET_MODEL_OP_COUNT> resolver;
static tflite::MicroInterpreter *interpreter = nullptr;
static harnet_window window;
static uint8_t backlog[BACKLOG_LABELS][HARNET_LABEL_PACKET_BYTES];
static uint8_t backlogHead = 0, backlogCount = 0;
static uint16_t labelSequence = 0;
static bool labelsOn = false, firstWindow = true;
static uint32_t ticks = 0, bootMicros = 0;

static void onLabelControl(BLEDevice, BLECharacteristic c) {
  // ArduinoBLE cannot answer a write with an ATT error: other values are ignored, not obeyed.
  if (c.valueLength() != 1) return;
  if (c.value()[0] == 0x01) labelsOn = true;          // start (backlog first)
  else if (c.value()[0] == 0x02) labelsOn = false;    // stop
}

static void classifyWindow() {
  TfLiteTensor *input = interpreter->input(0);
  harnet_window_quantise(&window, input->data.int8, COUNTS_PER_G, HARNET_MODEL_INPUT_SCALE,
                         HARNET_MODEL_INPUT_ZERO_POINT);
  uint8_t label = HARNET_LABEL_WITHHELD, confidence = 0;
  if (interpreter->Invoke() == kTfLiteOk) {
    const TfLiteTensor *output = interpreter->output(0);   // int8 logits, or int16 from a 16x8 classifier
    int16_t logits[HARNET_MODEL_NUM_CLASSES];
    for (int i = 0; i < HARNET_MODEL_NUM_CLASSES; i++)
      logits[i] = output->type == kTfLiteInt16 ? output->data.i16[i] : output->data.int8[i];
    harnet_label_confidence(logits, HARNET_MODEL_NUM_CLASSES, HARNET_MODEL_OUTPUT_SCALE,
                            HARNET_MODEL_OUTPUT_ZERO_POINT, &label, &confidence);
  }
  uint8_t flags = firstWindow ? HARNET_FLAG_FIRST_AFTER_BOOT : 0;
  firstWindow = false;
  if (backlogCount == BACKLOG_LABELS) {                      // drop the oldest; the sequence gap tells the host
    uint8_t droppedBoot = backlog[backlogHead][9] & HARNET_FLAG_FIRST_AFTER_BOOT;   // the new head keeps it
    backlogHead = (backlogHead + 1) % BACKLOG_LABELS;
    backlogCount--;
    backlog[backlogHead][9] |= HARNET_FLAG_BACKLOG_OVERFLOW | droppedBoot;
  }
  uint32_t endMs = (uint32_t)(((uint64_t)(ticks - 1) * 1000) / 30);
  harnet_label_packet(backlog[(backlogHead + backlogCount) % BACKLOG_LABELS], labelSequence++, endMs, label,
                      confidence, flags);
  backlogCount++;
}

static int16_t toCounts(float g) {            // truncates toward zero, clamped to int16
  float c = g * COUNTS_PER_G;
  return (int16_t)(c > 32767.0f ? 32767.0f : (c < -32768.0f ? -32768.0f : c));
}

static void sampleAt30Hz() {
  // Tick k is due k/30 s after boot, on this device's own clock, connected or not.
  uint64_t due = (uint64_t)ticks * 1000000ULL / 30;
  if ((int32_t)(micros() - bootMicros - (uint32_t)due) < 0) return;
  int16_t xyz[3] = {toCounts(imu.readFloatAccelX()), toCounts(imu.readFloatAccelY()), toCounts(imu.readFloatAccelZ())};
  harnet_window_push(&window, xyz);
  ticks++;
  if (harnet_window_ready(&window, HOP_SAMPLES)) classifyWindow();
}

static void sendLabels() {
  if (!BLE.connected()) labelsOn = false;   // the next central starts labels itself, after reading model info
  while (backlogCount && labelsOn && BLE.connected() && labelChar.subscribed()) {
    if (!labelChar.writeValue(backlog[backlogHead], HARNET_LABEL_PACKET_BYTES)) return;   // retry next loop
    backlogHead = (backlogHead + 1) % BACKLOG_LABELS;
    backlogCount--;
  }
}

static void setupOnDevice() {
  static const tflite::Model *model = tflite::GetModel(harnet_model_tflite);
  HARNET_MODEL_ADD_OPS(resolver);
  static tflite::MicroInterpreter staticInterpreter(model, resolver, arena, HARNET_MODEL_ARENA_BYTES);
  interpreter = &staticInterpreter;
  if (interpreter->AllocateTensors() != kTfLiteOk) while (true) {}   // the arena is the exported size
  if (interpreter->output(0)->type != HARNET_MODEL_OUTPUT_TYPE) while (true) {}   // header and model disagree
  modelInfoChar.writeValue((const uint8_t *)harnet_model_info_json, strlen(harnet_model_info_json));
  labelControlChar.setEventHandler(BLEWritten, onLabelControl);
  onDeviceService.addCharacteristic(labelChar);
  onDeviceService.addCharacteristic(modelInfoChar);
  onDeviceService.addCharacteristic(labelControlChar);
  BLE.addService(onDeviceService);
  bootMicros = micros();
}
#endif

void setup() {
  imu.settings.accelRange = 8;
  imu.settings.accelSampleRate = 104;
  imu.begin();
  BLE.begin();
  BLE.setLocalName("HE-Wearable");
  BLE.setAdvertisedService(service);
  uint8_t info[8] = {PROFILE_VERSION, 0, 0, 0, 0, RANGE_G, 1, 0};
  put16(info + 1, RATE_CENTI_HZ);
  put16(info + 3, COUNTS_PER_G);
  infoChar.writeValue(info, sizeof(info));
  controlChar.setEventHandler(BLEWritten, onControl);
  service.addCharacteristic(dataChar);
  service.addCharacteristic(infoChar);
  service.addCharacteristic(controlChar);
  BLE.addService(service);
#if HARNET_ON_DEVICE
  setupOnDevice();
#endif
  BLE.advertise();
}

void loop() {
  BLE.poll();
#if HARNET_ON_DEVICE
  sampleAt30Hz();
  sendLabels();
#endif
  if (!BLE.connected()) { streaming = false; return; }
  uint32_t now = micros();
  if (!streaming || (int32_t)(now - nextSampleMicros) < 0) return;
  nextSampleMicros = now + 1000000UL * 100 / RATE_CENTI_HZ;
  if (count == 0) firstSampleMicros = now;
  int16_t xyz[3] = {(int16_t)(imu.readFloatAccelX() * COUNTS_PER_G), (int16_t)(imu.readFloatAccelY() * COUNTS_PER_G),
                    (int16_t)(imu.readFloatAccelZ() * COUNTS_PER_G)};
  for (int a = 0; a < 3; a++) put16(packet + 7 + 6 * count + 2 * a, (uint16_t)xyz[a]);
  if (++count >= samplesPerPacket()) {
    packet[0] = (PROFILE_VERSION << 5) | count;
    put16(packet + 1, sequence++);
    put32(packet + 3, firstSampleMicros);
    dataChar.writeValue(packet, 7 + 6 * count);   // a notification; sequence counts dropped ones too
    count = 0;
  }
}
