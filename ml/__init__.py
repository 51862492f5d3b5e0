"""SignLearn's recogniser: video -> ISLR landmarks -> TFLite top-10. No Django imports here.

Heavy dependencies (mediapipe, LiteRT, TensorFlow) are imported inside the modules that need them,
so `import ml` stays cheap for the web process.
"""
