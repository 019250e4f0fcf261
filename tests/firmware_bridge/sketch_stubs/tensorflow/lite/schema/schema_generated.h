#pragma once
namespace tflite { struct Model; }
