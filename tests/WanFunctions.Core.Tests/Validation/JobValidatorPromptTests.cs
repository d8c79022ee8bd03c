using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class JobValidatorPromptTests
{
    private static VideoJobRequest WithPrompt(string prompt, int references = 1) =>
        Jobs.With(Enumerable.Range(1, references).Select(n => (JobReference?)Jobs.Image(n)).ToArray()) with { Prompt = prompt };

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \t\n")]
    public void Prompt_is_required(string? prompt)
    {
        Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { Prompt = prompt }), "prompt");
    }

    [Fact]
    public void Prompt_of_1500_characters_is_accepted_1501_is_not()
    {
        var prefix = "character1 ";
        Jobs.AssertValid(Jobs.Validate(WithPrompt(prefix + new string('a', 1500 - prefix.Length))));
        var message = Assert.Single(Jobs.AssertError(Jobs.Validate(WithPrompt(prefix + new string('a', 1501 - prefix.Length))), "prompt"));
        Assert.Contains("1500", message);
        Assert.Contains("1501", message);
    }

    [Fact]
    public void Prompt_length_counts_characters_not_utf16_units()
    {
        // 1500 emoji are 3000 UTF-16 units but 1500 characters.
        var prompt = "character1" + string.Concat(Enumerable.Repeat("😀", 1490));
        Jobs.AssertValid(Jobs.Validate(WithPrompt(prompt)));
    }

    [Fact]
    public void Negative_prompt_of_500_characters_is_accepted_501_is_not()
    {
        Jobs.AssertValid(Jobs.Validate(Jobs.Valid() with { NegativePrompt = new string('n', 500) }));
        Assert.Contains("500", Assert.Single(Jobs.AssertError(Jobs.Validate(Jobs.Valid() with { NegativePrompt = new string('n', 501) }), "negativePrompt")));
    }

    [Fact]
    public void Mentioned_character_without_a_reference_is_an_error_naming_it()
    {
        var result = Jobs.Validate(WithPrompt("character1 hugs character3 and character2", references: 2));
        var message = Assert.Single(Jobs.AssertError(result, "prompt"));
        Assert.Contains("character3", message);
        Assert.DoesNotContain("character2,", message);
        Assert.Contains("2 references", message);
    }

    [Fact]
    public void Every_missing_character_is_named()
    {
        var result = Jobs.Validate(WithPrompt("character1, character4 and character7 meet"));
        var message = Assert.Single(Jobs.AssertError(result, "prompt"));
        Assert.Contains("character4, character7", message);
    }

    [Theory]
    [InlineData("Character1 says hi to CHARACTER2")]
    [InlineData("cHaRaCtEr2 waves at character1.")]
    [InlineData("(character1) meets character2's dog")]
    public void Mentions_are_case_insensitive(string prompt)
    {
        var result = Jobs.Validate(WithPrompt(prompt, references: 2));
        Jobs.AssertValid(result);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Character10_is_not_character1_and_needs_ten_references()
    {
        var result = Jobs.Validate(WithPrompt("character1 and character10 dance", references: 5));
        Assert.Contains("character10", Assert.Single(Jobs.AssertError(result, "prompt")));
    }

    [Fact]
    public void Character12_is_read_as_twelve()
    {
        Assert.Equal([12], CharacterMentions.Find("Character12 dances"));
    }

    [Theory]
    [InlineData("subcharacter1 and character1x and character_1 and character0 and character01")]
    [InlineData("a character sings")]
    public void Non_word_bounded_or_zero_mentions_do_not_count(string prompt)
    {
        Assert.Empty(CharacterMentions.Find(prompt));
    }

    [Theory]
    [InlineData("让character3跳舞", new[] { 3 })]
    [InlineData("character1对character2说：“我明天早上就靠你了！”", new[] { 1, 2 })]
    [InlineData("Character2对CHARACTER1说话", new[] { 1, 2 })]
    [InlineData("character1がcharacter2に手を振る。", new[] { 1, 2 })]
    [InlineData("キャラクターcharacter1とcharacter3", new[] { 1, 3 })]
    [InlineData("character1이 웃는다", new[] { 1 })]
    [InlineData("😀character1🎉character2💃", new[] { 1, 2 })]
    [InlineData("「character1」、(character2)、character3。", new[] { 1, 2, 3 })]
    [InlineData("\"character1\",character2;character3!character4?", new[] { 1, 2, 3, 4 })]
    [InlineData("character12跳舞", new[] { 12 })]
    public void Mentions_next_to_any_script_emoji_or_punctuation_are_found(string prompt, int[] expected)
    {
        Assert.Equal(expected, CharacterMentions.Find(prompt));
    }

    [Theory]
    [InlineData("xcharacter1")]
    [InlineData("2character1")]
    [InlineData("Xcharacter1对character")]
    [InlineData("让2character1跳舞")]
    [InlineData("让character1x跳舞")]
    [InlineData("让character0跳舞")]
    [InlineData("让character01跳舞")]
    [InlineData("😀character0🎉")]
    public void Mentions_glued_to_ascii_letters_or_digits_or_zero_based_are_not_found(string prompt)
    {
        Assert.Empty(CharacterMentions.Find(prompt));
    }

    [Fact]
    public void A_mention_inside_chinese_text_without_its_reference_is_an_error()
    {
        var message = Assert.Single(Jobs.AssertError(Jobs.Validate(WithPrompt("让character3跳舞")), "prompt"));
        Assert.Contains("character3", message);
        Assert.Contains("1 reference", message);
    }

    [Fact]
    public void The_providers_chinese_sample_with_two_references_is_valid_without_warnings()
    {
        var result = Jobs.Validate(WithPrompt("character1对character2说：“我明天早上就靠你了！”", references: 2));
        Jobs.AssertValid(result);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Huge_character_number_is_missing_and_not_echoed_in_full()
    {
        var result = Jobs.Validate(WithPrompt("character1 and character" + new string('9', 200)));
        var message = Assert.Single(Jobs.AssertError(result, "prompt"));
        Assert.True(message.Length < 300, message);
    }

    [Fact]
    public void Unmentioned_reference_is_accepted_with_a_warning()
    {
        var result = Jobs.Validate(WithPrompt("character1 and character3 walk", references: 3));
        Jobs.AssertValid(result);
        Assert.Equal(["references[1] is never mentioned as character2 in the prompt."], result.Warnings);
    }

    [Fact]
    public void Prompt_without_any_mention_warns_for_every_reference()
    {
        var result = Jobs.Validate(WithPrompt("two people talk", references: 2));
        Jobs.AssertValid(result);
        Assert.Equal(2, result.Warnings.Count);
    }
}
