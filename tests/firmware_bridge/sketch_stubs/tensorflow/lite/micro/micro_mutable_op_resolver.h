#pragma once
#include <stddef.h>
namespace tflite {
struct MicroOpResolver { virtual ~MicroOpResolver() {} };
template <unsigned N> struct MicroMutableOpResolver : MicroOpResolver {
  int AddConv2D(); int AddDepthwiseConv2D(); int AddFullyConnected(); int AddReshape(); int AddSoftmax(); int AddMean();
  int AddAdd(); int AddMul(); int AddMaxPool2D(); int AddAveragePool2D(); int AddQuantize(); int AddDequantize(); int AddTranspose();
  int AddPad(); int AddRelu(); int AddRelu6(); int AddExpandDims(); int AddSqueeze(); int AddConcatenation(); int AddStridedSlice(); int AddHardSwish(); int AddLogistic(); int AddSum(); int AddShape(); int AddPack(); int AddGather(); int AddSub();
};
}
