// The op table: every engine op, declared once. Each name `x` has a definition
// `const OpDef op_x` (forward, backward or GradKind) in one of the files beside this.
// Adding an op = one row here + its OpDef; tests walk this table (every
// differentiable op must have a backward and a gradient-check fixture).
#pragma once

#define NW_OPS(X)                                                                       \
  /* elementwise.cpp: arithmetic with broadcasting */                                   \
  X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum)                              \
  /* comparisons and selection */                                                       \
  X(eq) X(ne) X(lt) X(le) X(gt) X(ge) X(where)                                          \
  /* unary math */                                                                      \
  X(neg) X(exp) X(log) X(sqrt) X(abs) X(clamp) X(pow_scalar)                            \
  /* activations.cpp */                                                                 \
  X(relu) X(leaky_relu) X(elu) X(gelu) X(sigmoid) X(tanh) X(softplus) X(silu)           \
  /* reduce.cpp */                                                                      \
  X(sum) X(mean) X(max) X(min) X(argmax) X(argmin) X(var) X(std) X(sum_to)              \
  /* shape.cpp: views and data movement */                                             \
  X(reshape) X(permute) X(transpose) X(expand) X(slice) X(squeeze) X(unsqueeze)         \
  X(flatten) X(contiguous) X(cat) X(stack) X(split) X(gather) X(index_select)           \
  X(one_hot) X(to_dtype) X(to_device)                                                   \
  /* linalg.cpp */                                                                      \
  X(matmul) X(bmm) X(addmm) X(linear)                                                   \
  /* embedding.cpp, recurrent.cpp, attention.cpp */                                     \
  X(embedding) X(rnn) X(lstm) X(gru)                                                    \
  X(multi_head_attention) X(scaled_dot_product_attention)                               \
  /* softmax.cpp */                                                                     \
  X(softmax) X(log_softmax)                                                             \
  /* loss.cpp */                                                                        \
  X(mse_loss) X(l1_loss) X(smooth_l1_loss) X(cross_entropy) X(nll_loss)                 \
  X(binary_cross_entropy) X(binary_cross_entropy_with_logits)                           \
  /* conv.cpp, pool.cpp, upsample.cpp: convolution, pooling and resizing */             \
  X(conv1d) X(conv2d) X(conv_transpose2d)                                               \
  X(max_pool2d) X(avg_pool2d) X(adaptive_avg_pool2d) X(upsample)                        \
  /* norm.cpp, dropout.cpp */                                                           \
  X(batch_norm) X(layer_norm) X(group_norm) X(dropout) X(dropout2d)
