"""GANs: the losses, DCGAN, conditional GANs, InfoGAN, ALI/BiGAN (implicit models judged by sample metrics)."""
