"""The preview gallery: every variant in a frame like its platform's, with its findings, limits and approval."""
