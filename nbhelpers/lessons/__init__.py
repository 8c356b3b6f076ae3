"""Helpers of single lessons: each module serves one notebook (or one chapter's experiments).

=================  =====================================================================
``universality``   networks with hand-set weights: bumps, towers, ReLU interpolation (08)
``augment``        chapter 6's expanded data: every digit shifted by one pixel (10)
``ensemble``       a majority vote of networks (10)
``adversarial``    adversarial examples from the gradient with respect to the input (10)
``surfaces``       2-D test surfaces for watching optimisers (11)
``rbf``            radial-basis-function networks (11)
``torch_bridge``   the same network in PyTorch and back (12; needs the optional PyTorch)
=================  =====================================================================

Import them by their full path, e.g. ``from nbhelpers.lessons.rbf import RBFNetwork``.
"""
