#pragma once
#include <stdint.h>
#include <stddef.h>
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"
typedef enum { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;
typedef enum { kTfLiteNoType = 0, kTfLiteFloat32 = 1, kTfLiteInt16 = 7, kTfLiteInt8 = 9 } TfLiteType;   // TFLM's values
typedef union { int16_t *i16; int8_t *int8; float *f; } TfLitePtrUnion;
typedef struct { TfLiteType type; TfLitePtrUnion data; } TfLiteTensor;
namespace tflite {
const Model *GetModel(const void *buf);
struct MicroResourceVariables; struct MicroProfilerInterface;
class MicroInterpreter {   // current TFLM signature (no ErrorReporter)
 public:
  MicroInterpreter(const Model *model, const MicroOpResolver &op_resolver, uint8_t *tensor_arena, size_t tensor_arena_size,
                   MicroResourceVariables *resource_variables = nullptr, MicroProfilerInterface *profiler = nullptr,
                   bool preserve_all_tensors = false);
  TfLiteStatus AllocateTensors(); TfLiteStatus Invoke(); TfLiteTensor *input(size_t i); TfLiteTensor *output(size_t i);
};
}
