from trainables.sentence_transformer_trial import train_sentence_transformer

__all__ = ["train_sentence_transformer"]
