"""Measuring retrieval and answers: question files and BEIR sets through one pipeline, metrics, reports."""
