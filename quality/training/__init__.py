"""Training quality models with Lightning: config, LightningModule and the ``train-quality`` CLI."""
