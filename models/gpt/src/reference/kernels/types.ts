/** The reference model runs in float32 for training and in float64 for the finite-difference test. */
export type FloatArray = Float32Array | Float64Array;
export type FloatArrayConstructor = Float32ArrayConstructor | Float64ArrayConstructor;
